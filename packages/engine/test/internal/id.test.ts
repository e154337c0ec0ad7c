import { describe, expect, it } from 'vitest'
import { createId } from '../../src/_internal/id'

describe('createId', () => {
  it('makes UUID v7 ids that sort by creation time, within a millisecond too', () => {
    const ids = Array.from({ length: 5000 }, (_, n) => createId(1_700_000_000_000 + Math.floor(n / 1000)))
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids[0].replace(/-/g, '').slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'))
  })

  it('draws the random part from fresh bytes for every id', () => {
    const tails = new Set(Array.from({ length: 2000 }, () => createId().slice(19)))
    expect(tails.size).toBe(2000)
  })
})
