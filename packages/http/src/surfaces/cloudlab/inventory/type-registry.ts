import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { consola } from 'consola'
import { parse } from 'yaml'
import { builtinTypes } from './builtin-types'
import { typeConfigSchema, type InventoryTypeConfig } from './type-config'

export interface TypeRegistry {
  /** Every type: the folder's files in name order, then the built-in types no file replaces. */
  list(): Promise<InventoryTypeConfig[]>
  get(slug: string): Promise<InventoryTypeConfig | undefined>
}

const log = consola.withTag('cloudlab:inventory')

/** One file's types, or why it is skipped (CloudLab skips a bad file with a log line and goes on). */
function parseTypeFile(name: string, text: string): InventoryTypeConfig | undefined {
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    log.warn(`${name}: not valid YAML, skipped (${(error as Error).message.split('\n')[0]})`)
    return undefined
  }
  const parsed = typeConfigSchema.safeParse(document)
  if (!parsed.success) {
    const problem = parsed.error.issues[0]
    log.warn(`${name}: ${problem ? `${problem.path.join('.') || 'document'}: ${problem.message}` : 'invalid'}, skipped`)
    return undefined
  }
  return parsed.data
}

/**
 * The inventory types of a CloudLab `inventory_types/` folder, read as they are (`*.yaml`,
 * `*.yml`). The folder is re-read when a file's name, size or modification time changes, so an
 * operator's edit shows without a restart.
 */
export function createTypeRegistry(dir: string): TypeRegistry {
  let signature = ''
  let loaded: InventoryTypeConfig[] = [...builtinTypes]

  async function load(): Promise<InventoryTypeConfig[]> {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => /\.ya?ml$/i.test(name)).sort()
    const stats = await Promise.all(names.map((name) => stat(join(dir, name)).catch(() => undefined)))
    const next = names.map((name, index) => `${name}:${stats[index]?.size}:${stats[index]?.mtimeMs}`).join('|')
    if (next === signature) return loaded
    const files: InventoryTypeConfig[] = []
    for (const name of names) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => undefined)
      const type = text === undefined ? undefined : parseTypeFile(name, text)
      if (type && !files.some((known) => known.slug === type.slug)) files.push(type)
    }
    loaded = [...files, ...builtinTypes.filter((builtin) => !files.some((type) => type.slug === builtin.slug))]
    signature = next
    return loaded
  }

  return {
    list: load,
    get: async (slug) => (await load()).find((type) => type.slug === slug),
  }
}
