import { prefixStorage, type Storage } from 'unstorage'
import { createKeyedQueue } from '../../../identity/serialize'

export interface InventoryObject {
  id: number
  type: string
  data: Record<string, unknown>
  tag_ids: number[]
  /** The identity user id of the creator; null for objects a sync made. */
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface InventoryTag {
  id: number
  name: string
  color: string | null
}

export type AclEffect = 'allow' | 'deny'

export interface AclRule {
  id: number
  object_id: number
  role_id: number
  permission: string
  effect: AclEffect
}

export interface TagPermission {
  id: number
  tag_id: number
  role_id: number
  permission: string
}

type Counter = 'object' | 'tag' | 'acl' | 'tag-permission'

const keys = {
  counter: (kind: Counter) => `counters:${kind}`,
  objects: (type: string) => `objects:${type}`,
  object: (type: string, id: number) => `objects:${type}:${id}`,
  objectType: (id: number) => `object-types:${id}`,
  tags: 'tags',
  tag: (id: number) => `tags:${id}`,
  acl: (objectId: number) => `acl:${objectId}`,
  aclRule: (objectId: number, id: number) => `acl:${objectId}:${id}`,
  tagPermissions: (tagId: number) => `tag-permissions:${tagId}`,
  tagPermission: (tagId: number, id: number) => `tag-permissions:${tagId}:${id}`,
}

async function readAll<T>(storage: Storage, base: string): Promise<T[]> {
  const found = await storage.getKeys(base)
  const items = await Promise.all(found.map((key) => storage.getItem<T>(key)))
  return items.filter((item): item is Awaited<T> & T => item !== null && item !== undefined)
}

/**
 * Inventory objects, tags, object ACL rules and tag permissions, one record per key under
 * `cloudlab:inventory:` of the engine's storage. Storage has no transactions: writes that
 * read first (unique fields, ids) run one after another through a keyed queue.
 */
export function createInventoryStore(engineStorage: Storage) {
  const storage = prefixStorage(engineStorage, 'cloudlab:inventory')
  const serialize = createKeyedQueue()
  const now = () => new Date().toISOString()

  const nextId = (kind: Counter) =>
    serialize(`counter:${kind}`, async () => {
      const id = ((await storage.getItem<number>(keys.counter(kind))) ?? 0) + 1
      await storage.setItem(keys.counter(kind), id)
      return id
    })

  async function getObject(id: number): Promise<InventoryObject | undefined> {
    const type = await storage.getItem<string>(keys.objectType(id))
    if (!type) return undefined
    return (await storage.getItem<InventoryObject>(keys.object(type, id))) ?? undefined
  }

  async function putObject(object: InventoryObject): Promise<InventoryObject> {
    await storage.setItem(keys.object(object.type, object.id), object)
    await storage.setItem(keys.objectType(object.id), object.type)
    return object
  }

  async function existingTagIds(ids: number[]): Promise<number[]> {
    const tags = await Promise.all([...new Set(ids)].map((id) => storage.getItem<InventoryTag>(keys.tag(id))))
    return tags.filter((tag): tag is InventoryTag => Boolean(tag)).map((tag) => tag.id)
  }

  return {
    /** Runs `fn` alone among the writes of one type (unique checks, sync upserts). */
    exclusive: <T>(type: string, fn: () => Promise<T>) => serialize(`type:${type}`, fn),

    listObjects: (type: string) => readAll<InventoryObject>(storage, keys.objects(type)),
    getObject,

    async createObject(input: { type: string; data: Record<string, unknown>; tagIds: number[]; createdBy: string | null }): Promise<InventoryObject> {
      const at = now()
      return putObject({
        id: await nextId('object'),
        type: input.type,
        data: input.data,
        tag_ids: await existingTagIds(input.tagIds),
        created_by: input.createdBy,
        created_at: at,
        updated_at: at,
      })
    },

    async updateObject(object: InventoryObject, change: { data?: Record<string, unknown>; tagIds?: number[] }): Promise<InventoryObject> {
      return putObject({
        ...object,
        data: change.data ?? object.data,
        tag_ids: change.tagIds === undefined ? object.tag_ids : await existingTagIds(change.tagIds),
        updated_at: now(),
      })
    },

    async deleteObject(object: InventoryObject): Promise<void> {
      for (const rule of await readAll<AclRule>(storage, keys.acl(object.id))) await storage.removeItem(keys.aclRule(object.id, rule.id))
      await storage.removeItem(keys.object(object.type, object.id))
      await storage.removeItem(keys.objectType(object.id))
    },

    listTags: async () => (await readAll<InventoryTag>(storage, keys.tags)).sort((a, b) => a.name.localeCompare(b.name)),
    getTag: async (id: number) => (await storage.getItem<InventoryTag>(keys.tag(id))) ?? undefined,

    /** Undefined when a tag of that name exists. */
    createTag: (input: { name: string; color: string | null }) =>
      serialize('tags', async (): Promise<InventoryTag | undefined> => {
        const tags = await readAll<InventoryTag>(storage, keys.tags)
        if (tags.some((tag) => tag.name === input.name)) return undefined
        const tag = { id: await nextId('tag'), ...input }
        await storage.setItem(keys.tag(tag.id), tag)
        return tag
      }),

    async updateTag(tag: InventoryTag): Promise<InventoryTag> {
      await storage.setItem(keys.tag(tag.id), tag)
      return tag
    },

    /** Removes the tag, its permissions, and the tag from every object that has it. */
    async deleteTag(tag: InventoryTag, types: string[]): Promise<void> {
      await storage.removeItem(keys.tag(tag.id))
      for (const rule of await readAll<TagPermission>(storage, keys.tagPermissions(tag.id))) await storage.removeItem(keys.tagPermission(tag.id, rule.id))
      for (const type of types) {
        for (const object of await readAll<InventoryObject>(storage, keys.objects(type))) {
          if (object.tag_ids.includes(tag.id)) await putObject({ ...object, tag_ids: object.tag_ids.filter((id) => id !== tag.id) })
        }
      }
    },

    aclRules: async (objectId: number) => (await readAll<AclRule>(storage, keys.acl(objectId))).sort((a, b) => a.id - b.id),

    async addAclRule(input: Omit<AclRule, 'id'>): Promise<AclRule> {
      const rule = { id: await nextId('acl'), ...input }
      await storage.setItem(keys.aclRule(rule.object_id, rule.id), rule)
      return rule
    },

    /** False when the object has no such rule. */
    async removeAclRule(objectId: number, id: number): Promise<boolean> {
      if (!(await storage.hasItem(keys.aclRule(objectId, id)))) return false
      await storage.removeItem(keys.aclRule(objectId, id))
      return true
    },

    tagPermissions: async (tagId: number) => (await readAll<TagPermission>(storage, keys.tagPermissions(tagId))).sort((a, b) => a.id - b.id),

    async addTagPermission(input: Omit<TagPermission, 'id'>): Promise<TagPermission> {
      const permission = { id: await nextId('tag-permission'), ...input }
      await storage.setItem(keys.tagPermission(permission.tag_id, permission.id), permission)
      return permission
    },
  }
}

export type InventoryStore = ReturnType<typeof createInventoryStore>
