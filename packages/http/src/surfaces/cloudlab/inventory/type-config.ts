import { z } from 'zod'

/** The field types of CloudLab's type loader, with the `number` and `list` its web UI also renders. */
export const fieldTypes = ['string', 'text', 'enum', 'integer', 'boolean', 'datetime', 'secret', 'json', 'number', 'list'] as const

// Slugs and action names become permission codenames (`inventory.<slug>.<action>`), so they keep to that alphabet.
const slug = z.string().regex(/^[a-z0-9_-]+$/i, 'slug must be letters, digits, "-" or "_"')
const actionName = z.string().regex(/^[a-z0-9_]+$/i, 'action name must be letters, digits or "_"')

const field = z.looseObject({
  name: z.string().min(1),
  type: z.enum(fieldTypes),
  label: z.string().optional(),
  required: z.boolean().optional(),
  unique: z.boolean().optional(),
  searchable: z.boolean().optional(),
  readonly: z.boolean().optional(),
  options: z.array(z.unknown()).optional(),
})

const action = z.looseObject({
  name: actionName,
  label: z.string().optional(),
  type: z.string().default('script'),
  icon: z.string().optional(),
  scope: z.enum(['object', 'type']).optional(),
  confirm: z.string().optional(),
  permission: z.string().optional(),
  script: z.string().optional(),
  playbook: z.string().optional(),
  vars_mapping: z.record(z.string(), z.unknown()).optional(),
  script_name: z.string().optional(),
})

/** `sync: <source>` or `sync: {source: <source>}`; the wiki's `{adapter: ...}` is kept but names no source. */
const sync = z.union([z.string(), z.looseObject({ source: z.string().optional() })]).nullish()

/** One file of an `inventory_types/` folder (reference §5); unknown keys are kept for the web UI. */
export const typeConfigSchema = z.looseObject({
  slug,
  label: z.string().min(1),
  icon: z.string().default(''),
  description: z.string().default(''),
  fields: z.array(field),
  actions: z.array(action).default([]),
  sync,
})

export type InventoryTypeConfig = z.output<typeof typeConfigSchema>
export type InventoryAction = InventoryTypeConfig['actions'][number]

/** The sync source a type names, in either of its two spellings. */
export function syncSource(type: InventoryTypeConfig): string | undefined {
  const value = type.sync
  if (!value) return undefined
  return typeof value === 'string' ? value : value.source
}

/**
 * What `GET /api/inventory/types` shows of a type. A type without sync has no `sync` key, where
 * the real backend says `null`: their inventory page reads `typeof sync === 'object' ? sync.source`
 * and stops rendering on `null`.
 */
export function describeType(type: InventoryTypeConfig) {
  return {
    slug: type.slug,
    label: type.label,
    icon: type.icon,
    description: type.description,
    fields: type.fields,
    actions: type.actions,
    ...(type.sync ? { sync: type.sync } : {}),
  }
}
