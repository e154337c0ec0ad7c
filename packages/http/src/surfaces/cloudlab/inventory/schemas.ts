import { z } from 'zod'

// FastAPI's int path and query parameters: digits only, anything else is 422.
const intId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const slug = z.string().min(1).max(100)
const name = z.string().min(1).max(100)

export const typeParams = z.object({ slug })
export const objectParams = z.object({ slug, id: intId })
export const tagParams = z.object({ tagId: intId })
export const objectTagParams = z.object({ slug, id: intId, tagId: intId })
export const aclRuleParams = z.object({ slug, id: intId, aclId: intId })
export const objectActionParams = z.object({ slug, id: intId, action: name })
export const typeActionParams = z.object({ slug, action: name })

export const listQuery = z.object({
  search: z.string().max(200).default(''),
  tag: z.string().max(100).default(''),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(1000).default(100),
})

const data = z.record(z.string(), z.unknown())
const tagIds = z.array(intId).max(1000)

export const createObjectBody = z.object({ data, tag_ids: tagIds.default([]) })
export const updateObjectBody = z.object({ data: data.nullish(), tag_ids: tagIds.nullish() })
export const objectTagsBody = z.object({ tag_ids: tagIds })

const tagName = z
  .string()
  .transform((value) => value.trim())
  .refine((value) => value.length >= 1 && value.length <= 100, 'Value error, Tag name must be 1-100 characters')
const color = z.string().max(50).nullish()

export const createTagBody = z.object({ name: tagName, color })
export const updateTagBody = z.object({ name: tagName.nullish(), color })

const permission = z.string().min(1).max(100)
export const aclRuleBody = z.object({
  role_id: intId,
  permission,
  effect: z.enum(['allow', 'deny'], { message: "Value error, Effect must be 'allow' or 'deny'" }).default('allow'),
})
export const tagPermissionBody = z.object({ role_id: intId, permission })

const inputValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])
/** Optional: the web UI posts most actions with no body. */
export const actionBody = z
  .object({
    script: z.string().min(1).max(200).nullish(),
    inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), inputValue).nullish(),
  })
  .nullish()
