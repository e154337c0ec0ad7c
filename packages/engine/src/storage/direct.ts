import destr from 'destr'
import { createStorage, type Driver, type Storage, type StorageValue } from 'unstorage'

/**
 * `createStorage({ driver })`, whose item calls (`hasItem`, `getItem`,
 * `setItem`, `setItems`, `removeItem` and their aliases) go straight to the driver when
 * the key is already in unstorage's normal form, nothing else is mounted and
 * nobody watches. Then unstorage would do exactly the same: normalising a
 * normal key returns it unchanged, and the root mount takes every key.
 *
 * Why: an engine's keys are built normal (see `keySegment`), and unstorage's
 * normalisation (three regular expressions, a split and a dot-segment check
 * per call) was a fifth of a job's time on the memory storage. Any other key,
 * any mount, `watch()` or call options take unstorage's own path, so the
 * storage behaves as `createStorage` does in every case.
 */
export function directStorage(driver: Driver): Storage {
  const storage = createStorage({ driver })
  let direct = true
  const isDirect = (key: unknown, options: unknown) => direct && options === undefined && typeof key === 'string' && isNormalKey(key)

  // Each shortcut is written out (no shared helper taking a closure): they run several times per job.
  const hasItem = ((key: string, options?: never) => {
    if (!isDirect(key, options)) return storage.hasItem(key, options)
    try {
      return answer(driver.hasItem(key, NO_OPTIONS))
    } catch (error) {
      return Promise.reject(error)
    }
  }) as Storage['hasItem']
  const getItem = ((key: string, options?: never) => {
    if (!isDirect(key, options)) return storage.getItem(key, options)
    try {
      const value = driver.getItem(key, NO_OPTIONS)
      return value instanceof Promise ? value.then(destr) : Promise.resolve(destr(value))
    } catch (error) {
      return Promise.reject(error)
    }
  }) as Storage['getItem']
  const setItem = ((key: string, value: StorageValue, options?: never) => {
    if (!isDirect(key, options) || value === undefined || !driver.setItem) return storage.setItem(key, value, options)
    try {
      return done(driver.setItem(key, stringify(value), NO_OPTIONS))
    } catch (error) {
      return Promise.reject(error)
    }
  }) as Storage['setItem']
  const setItems = ((items: { key: string; value: StorageValue; options?: unknown }[], options?: never) => {
    if (options !== undefined || !driver.setItem || !items.every((item) => item.value !== undefined && isDirect(item.key, item.options))) {
      return storage.setItems(items as never, options)
    }
    try {
      if (driver.setItems) return done(driver.setItems(items.map((item) => ({ key: item.key, value: stringify(item.value) })), NO_OPTIONS))
      let pending: unknown[] | undefined
      for (const item of items) {
        const written = driver.setItem(item.key, stringify(item.value), NO_OPTIONS)
        if (written instanceof Promise) (pending ??= []).push(written)
      }
      return pending ? Promise.all(pending).then(nothing) : RESOLVED
    } catch (error) {
      return Promise.reject(error)
    }
  }) as Storage['setItems']
  const removeItem = ((key: string, options?: never) => {
    if (!isDirect(key, options) || !driver.removeItem) return storage.removeItem(key, options)
    try {
      return done(driver.removeItem(key, NO_OPTIONS))
    } catch (error) {
      return Promise.reject(error)
    }
  }) as Storage['removeItem']

  return {
    ...storage,
    hasItem,
    has: hasItem,
    getItem,
    get: getItem,
    setItem,
    set: setItem,
    setItems,
    removeItem,
    remove: removeItem,
    del: removeItem,
    mount(base, mounted) {
      direct = false
      storage.mount(base, mounted)
      return this
    },
    watch(callback) {
      direct = false
      return storage.watch(callback)
    },
  }
}

const NO_OPTIONS = Object.freeze({})
const RESOLVED = Promise.resolve()
const nothing = () => undefined

/** A driver's sync or async answer as a promise. */
function answer<T>(value: T | Promise<T>): Promise<T> {
  return value instanceof Promise ? value : Promise.resolve(value)
}

/** A driver's write, sync or async, as a promise of nothing (as unstorage's own). */
function done(value: unknown): Promise<void> {
  return value instanceof Promise ? value.then(nothing) : RESOLVED
}

/** A key unstorage's `normalizeKey` leaves unchanged and accepts: no `?`, `/`, `\`, empty or dot segments. */
function isNormalKey(key: string): boolean {
  // Single-character scans: cheaper than one regular expression over a long key.
  const last = key.length - 1
  if (last < 0 || key.charCodeAt(0) === COLON || key.charCodeAt(last) === COLON) return false
  if (key.includes('/') || key.includes('\\') || key.includes('?') || key.includes('::')) return false
  return !key.includes('.') || !key.split(':').some((segment) => segment === '.' || segment === '..')
}

const COLON = 58

/** unstorage's value serialisation: primitives as strings, plain objects and arrays as JSON, else `toJSON()`. */
function stringify(value: unknown): string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value)
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || !proto || proto.isPrototypeOf(Object) || Array.isArray(value)) return JSON.stringify(value)
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return stringify((value as { toJSON(): unknown }).toJSON())
  throw new Error('[unstorage] Cannot stringify value!')
}
