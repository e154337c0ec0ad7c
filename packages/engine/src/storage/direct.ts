import destr from 'destr'
import { createStorage, type Driver, type Storage, type StorageValue } from 'unstorage'

/**
 * `createStorage({ driver })`, whose item calls (`hasItem`, `getItem`,
 * `setItem`, `removeItem` and their aliases) go straight to the driver when
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

  const hasItem = ((key: string, options?: never) =>
    isDirect(key, options) ? settle(() => driver.hasItem(key, NO_OPTIONS)) : storage.hasItem(key, options)) as Storage['hasItem']
  const getItem: Storage['getItem'] = ((key: string, options?: never) =>
    isDirect(key, options) ? settle(() => driver.getItem(key, NO_OPTIONS), destr) : storage.getItem(key, options)) as Storage['getItem']
  const setItem: Storage['setItem'] = ((key: string, value: StorageValue, options?: never) =>
    isDirect(key, options) && value !== undefined && driver.setItem
      ? settle(() => driver.setItem!(key, stringify(value), NO_OPTIONS), ignore)
      : storage.setItem(key, value, options)) as Storage['setItem']
  const removeItem: Storage['removeItem'] = ((key: string, options?: never) =>
    isDirect(key, options) && driver.removeItem ? settle(() => driver.removeItem!(key, NO_OPTIONS), ignore) : storage.removeItem(key, options)) as Storage['removeItem']

  return {
    ...storage,
    hasItem,
    has: hasItem,
    getItem,
    get: getItem,
    setItem,
    set: setItem,
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
const ignore = () => undefined

/** A key unstorage's `normalizeKey` leaves unchanged and accepts: no `?`, `/`, `\`, empty or dot segments. */
function isNormalKey(key: string): boolean {
  return key.length > 0 && !ABNORMAL_KEY.test(key) && (!key.includes('.') || !key.split(':').some((segment) => segment === '.' || segment === '..'))
}

const ABNORMAL_KEY = /[?/\\]|::|^:|:$/

/** A driver call's answer, sync or async, as a promise; a driver that throws rejects it, as in unstorage. */
function settle<T, R = T>(call: () => T | Promise<T>, map?: (value: T) => R): Promise<R> {
  try {
    const value = call()
    if (value instanceof Promise) return map ? value.then(map) : (value as Promise<never>)
    if ((map as unknown) === ignore) return RESOLVED as Promise<never>
    return Promise.resolve(map ? map(value) : (value as never))
  } catch (error) {
    return Promise.reject(error)
  }
}

/** unstorage's value serialisation: primitives as strings, plain objects and arrays as JSON, else `toJSON()`. */
function stringify(value: unknown): string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value)
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || !proto || proto.isPrototypeOf(Object) || Array.isArray(value)) return JSON.stringify(value)
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return stringify((value as { toJSON(): unknown }).toJSON())
  throw new Error('[unstorage] Cannot stringify value!')
}
