import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * An inventory as a job gives it: a path to an inventory file or directory,
 * a list of INI host lines (`web1 ansible_host=10.0.0.5`), or an object in
 * ansible's YAML inventory layout (`{ all: { hosts: { web1: {...} } } }`).
 */
export type InventoryInput = string | string[] | Record<string, unknown>

/** Turns an inventory into the path passed with `-i`, writing a file into `dir` when needed. */
export async function renderInventory(inventory: InventoryInput, dir: string): Promise<string> {
  if (typeof inventory === 'string') return inventory
  if (Array.isArray(inventory)) {
    const path = join(dir, 'inventory.ini')
    await writeFile(path, `${inventory.join('\n')}\n`, { mode: 0o600 })
    return path
  }
  // JSON is YAML, and ansible's yaml inventory plugin reads `.yml` files.
  const path = join(dir, 'inventory.yml')
  await writeFile(path, JSON.stringify(inventory, null, 2), { mode: 0o600 })
  return path
}
