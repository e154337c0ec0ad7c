interface Node<T> {
  children?: Map<string, Node<T>>
  key?: string
  value?: T
}

/**
 * A map from keys to values, arranged as a tree of the keys' `:`-separated
 * segments, so that listing the keys under a base visits only that branch:
 * the engine's indexes are key names listed by prefix, and a flat scan of
 * every key would make each listing cost as much as the whole store.
 */
export class KeyDirectory<T> {
  private readonly root: Node<T> = {}

  get(key: string): T | undefined {
    let node: Node<T> | undefined = this.root
    for (let start = 0; node; ) {
      const end = segmentEnd(key, start)
      node = node.children?.get(key.slice(start, end))
      if (end === key.length) return node?.value
      start = end + 1
    }
    return undefined
  }

  /** Sets the value of `key`; returns the one it replaces. */
  set(key: string, value: T): T | undefined {
    let node = this.root
    for (let start = 0; ; ) {
      const end = segmentEnd(key, start)
      const segment = key.slice(start, end)
      node.children ??= new Map()
      let child = node.children.get(segment)
      if (!child) node.children.set(segment, (child = {}))
      node = child
      if (end === key.length) break
      start = end + 1
    }
    const previous = node.value
    node.key = key
    node.value = value
    return previous
  }

  /** Removes `key` and the branches it leaves empty; returns its value. */
  delete(key: string): T | undefined {
    const segments = key.split(':')
    const path: Node<T>[] = [this.root]
    for (const segment of segments) {
      const child = path[path.length - 1].children?.get(segment)
      if (!child) return undefined
      path.push(child)
    }
    const node = path[path.length - 1]
    const previous = node.value
    node.key = undefined
    node.value = undefined
    for (let depth = segments.length; depth > 0; depth--) {
      const child = path[depth]
      if (child.value !== undefined || child.children?.size) break
      path[depth - 1].children!.delete(segments[depth - 1])
    }
    return previous
  }

  /** The keys under `base`, itself a key or `:`-separated prefix of whole segments ('' for all). */
  keys(base: string): string[] {
    let node: Node<T> | undefined = this.root
    const prefix = base.replace(/:+$/, '')
    if (prefix) {
      for (const segment of prefix.split(':')) {
        node = node.children?.get(segment)
        if (!node) return []
      }
    }
    const out: string[] = []
    const stack = [node]
    while (stack.length) {
      const next = stack.pop()!
      if (next.key !== undefined) out.push(next.key)
      if (next.children) for (const child of next.children.values()) stack.push(child)
    }
    return out
  }
}

// Splitting with indexOf instead of split(':') spares an array per call: this is the hot path of every write and read.
function segmentEnd(key: string, start: number): number {
  const end = key.indexOf(':', start)
  return end === -1 ? key.length : end
}
