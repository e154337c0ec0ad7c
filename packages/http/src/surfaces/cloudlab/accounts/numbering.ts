import type { Storage } from 'unstorage'

interface NumberingRecord {
  next: number
  ids: Record<string, number>
}

/**
 * Small integer ids for things the identity names by string (roles, permissions): CloudLab's UI
 * sends them back as numbers (`role_id: Number(value)`). A name keeps its number for good; new
 * names get the next one, in the order given to `number`.
 */
export interface Numbering {
  /** The numbers of the names, giving new names the next free numbers. */
  number(names: readonly string[]): Promise<Map<string, number>>
  /** The name a number was given to. */
  nameOf(id: number): Promise<string | undefined>
}

export function createNumbering(storage: Storage, key: string): Numbering {
  let record: NumberingRecord | undefined
  let queue: Promise<unknown> = Promise.resolve()
  // One writer at a time in this process, so two new names never share a number.
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work)
    queue = run.catch(() => undefined)
    return run
  }

  async function load(): Promise<NumberingRecord> {
    const stored = await storage.getItem<NumberingRecord>(key)
    record = stored && typeof stored === 'object' && stored.ids ? stored : { next: 1, ids: {} }
    return record
  }

  return {
    number: (names) =>
      serialized(async () => {
        let current = record ?? (await load())
        if (names.some((name) => current.ids[name] === undefined)) current = await load()
        const missing = [...new Set(names)].filter((name) => current.ids[name] === undefined)
        if (missing.length > 0) {
          for (const name of missing) current.ids[name] = current.next++
          await storage.setItem(key, current)
        }
        return new Map(names.map((name) => [name, current.ids[name]]))
      }),

    async nameOf(id) {
      const find = (from: NumberingRecord) => Object.entries(from.ids).find(([, number]) => number === id)?.[0]
      return (record && find(record)) ?? find(await serialized(load))
    },
  }
}
