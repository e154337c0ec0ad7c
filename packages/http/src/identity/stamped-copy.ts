import { randomUUID } from 'node:crypto'
import type { Storage } from 'unstorage'

/**
 * An in-memory copy of records kept in storage, shared by the nodes of a cluster. Every write,
 * on any node, replaces a stamp key; a node checks the stamp, one read, at most once per cache
 * lifetime, and loads the records again only when the stamp moved. Listing the records on every
 * check would cost what listing keys costs on the storage (on some, a walk over every key).
 */
export interface StampedCopy<T> {
  /** The copy as last loaded. */
  readonly value: T
  /** Whether the stamp was checked within the cache lifetime. */
  isFresh(): boolean
  /** When the copy is not fresh: checks the stamp (one check at a time) and loads again if it moved. */
  refresh(): Promise<void>
  /** Loads the records now, whatever the stamp says. */
  reload(): Promise<T>
  /** Replaces the stamp after a write, so that every node's next check loads the records again. */
  markChanged(): Promise<void>
}

export function createStampedCopy<T>(options: {
  storage: Storage
  stampKey: string
  initial: T
  load: () => Promise<T>
  cacheTtlMs: number
  now: () => number
}): StampedCopy<T> {
  const { storage, stampKey, load, cacheTtlMs, now } = options
  let value = options.initial
  // undefined until the first load: a missing stamp (null) is a stamp like any other.
  let seen: string | null | undefined
  let checkedAt = Number.NEGATIVE_INFINITY
  let checking: Promise<void> | undefined
  // A load that started before another one finished last must not replace the newer copy.
  let loads = 0

  const readStamp = async () => (await storage.getItem<string>(stampKey)) ?? null

  async function loadWith(stamp: string | null) {
    const started = ++loads
    const loaded = await load()
    if (started === loads) {
      value = loaded
      seen = stamp
      checkedAt = now()
    }
    return value
  }

  async function check() {
    const stamp = await readStamp()
    if (seen !== undefined && stamp === seen) checkedAt = now()
    else await loadWith(stamp)
  }

  const isFresh = () => now() - checkedAt < cacheTtlMs

  return {
    get value() {
      return value
    },
    isFresh,
    async refresh() {
      if (isFresh()) return
      checking ??= check().finally(() => {
        checking = undefined
      })
      await checking
    },
    // The stamp is read before the records: a write landing during the load moves it again.
    reload: async () => loadWith(await readStamp()),
    markChanged: () => storage.setItem(stampKey, randomUUID()),
  }
}
