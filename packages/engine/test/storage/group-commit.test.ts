import { describe, expect, it } from 'vitest'
import { GroupCommit } from '../../src/storage/group-commit'

describe('storage: group commit', () => {
  it('flushes the writes of one turn together, and those that arrive during a flush in the next', async () => {
    const flushed: number[][] = []
    let release!: () => void
    const commit = new GroupCommit<number>(async (items) => {
      flushed.push(items)
      if (flushed.length === 1) await new Promise<void>((resolve) => (release = resolve))
    })
    const first = [commit.add([1]), commit.add([2, 3])]
    await new Promise((resolve) => setImmediate(resolve))
    expect(flushed).toEqual([[1, 2, 3]])
    let firstDone = false
    void Promise.all(first).then(() => (firstDone = true))
    const second = [commit.add([4]), commit.add([5])]
    // Nothing queued: resolves when what is queued so far is flushed.
    const barrier = commit.add([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(firstDone).toBe(false)
    release()
    await Promise.all([...first, ...second, barrier])
    expect(flushed).toEqual([[1, 2, 3], [4, 5]])
    await commit.drain()
  })

  it('rejects every write of a failed flush', async () => {
    const commit = new GroupCommit<number>(async () => {
      throw new Error('disk full')
    })
    await expect(Promise.all([commit.add([1]), commit.add([2])])).rejects.toThrow('disk full')
    await expect(commit.add([3])).rejects.toThrow('disk full')
  })
})
