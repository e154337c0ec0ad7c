/**
 * Runs the functions given for one key one after another. Storage has no transactions, so
 * read-check-write sequences (unique usernames, the last admin, refresh rotation) are made
 * safe within this process by running them in turn.
 */
export function createKeyedQueue() {
  const tails = new Map<string, Promise<unknown>>()
  return function run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve()
    const result = previous.then(fn, fn)
    const tail = result.catch(() => {})
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    return result
  }
}
