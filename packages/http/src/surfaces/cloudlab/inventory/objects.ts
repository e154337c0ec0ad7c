import { ApiError } from '../../../platform/errors'
import type { InventoryTypeConfig } from './type-config'
import type { InventoryObject, InventoryStore, InventoryTag } from './store'

/** The lowercased text `search` matches: the object's searchable fields, joined by spaces. */
function searchText(type: InventoryTypeConfig, data: Record<string, unknown>): string {
  const searchable = new Set(type.fields.filter((field) => field.searchable).map((field) => field.name))
  return Object.entries(data)
    .filter(([key, value]) => searchable.has(key) && value !== null && value !== undefined && value !== '' && value !== false && value !== 0)
    .map(([, value]) => (typeof value === 'object' ? JSON.stringify(value) : String(value)))
    .join(' ')
    .toLowerCase()
}

/** Structural equality of two JSON values, as Python's `==` compares them. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Required fields present, unique fields unused by another object of the type (create only, as in CloudLab). */
export function checkNewObject(type: InventoryTypeConfig, data: Record<string, unknown>, existing: InventoryObject[]): void {
  for (const field of type.fields) {
    if (field.required && !(field.name in data)) throw new ApiError(400, `Missing required field: ${field.name}`)
  }
  for (const field of type.fields) {
    if (!field.unique || !(field.name in data)) continue
    if (existing.some((object) => sameValue(object.data[field.name], data[field.name]))) {
      throw new ApiError(409, `Duplicate value for unique field: ${field.name}`)
    }
  }
}

/** An update merges into the data it has, leaving `readonly` fields as they are. */
export function mergeData(type: InventoryTypeConfig, current: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const readonly = new Set(type.fields.filter((field) => field.readonly).map((field) => field.name))
  const merged = { ...current }
  for (const [key, value] of Object.entries(change)) if (!readonly.has(key)) merged[key] = value
  return merged
}

export interface ObjectQuery {
  search: string
  tag: string
  page: number
  per_page: number
}

/** Newest first, filtered by search and tag, one page; `total` counts before any ACL filter. */
export async function findObjects(
  store: InventoryStore,
  type: InventoryTypeConfig,
  query: ObjectQuery,
): Promise<{ total: number; items: InventoryObject[] } | undefined> {
  let objects = await store.listObjects(type.slug)
  if (query.search) {
    const needle = query.search.toLowerCase()
    objects = objects.filter((object) => searchText(type, object.data).includes(needle))
  }
  if (query.tag) {
    const tag = (await store.listTags()).find((candidate) => candidate.name === query.tag)
    if (!tag) return undefined
    objects = objects.filter((object) => object.tag_ids.includes(tag.id))
  }
  objects.sort((a, b) => b.id - a.id)
  const start = (query.page - 1) * query.per_page
  return { total: objects.length, items: objects.slice(start, start + query.per_page) }
}

export const tagView = (tag: InventoryTag) => ({ id: tag.id, name: tag.name, color: tag.color })

/** The name an object goes by: its `name` field, else its type's first required field (a server's hostname). */
function displayName(type: InventoryTypeConfig, data: Record<string, unknown>): string {
  const field = type.fields.find((candidate) => candidate.name === 'name') ?? type.fields.find((candidate) => candidate.required)
  const value = field ? data[field.name] : undefined
  return value === undefined || value === null ? '' : String(value)
}

/**
 * O of the reference: `{id,type_id,data,tags,created_by,created_at,updated_at}`, plus the
 * `type_slug` and `name` their UI's object type declares: its lists link each object by `name`,
 * which the real backend never sends (the links there are empty).
 */
export function objectView(object: InventoryObject, type: InventoryTypeConfig, typeId: number, tags: ReadonlyMap<number, InventoryTag>) {
  return {
    id: object.id,
    type_id: typeId,
    type_slug: type.slug,
    name: displayName(type, object.data),
    data: object.data,
    tags: object.tag_ids.flatMap((id) => {
      const tag = tags.get(id)
      return tag ? [tagView(tag)] : []
    }),
    created_by: object.created_by,
    created_at: object.created_at,
    updated_at: object.updated_at,
  }
}
