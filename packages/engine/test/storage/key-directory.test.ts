import { describe, expect, it } from 'vitest'
import { KeyDirectory } from '../../src/storage/key-directory'

describe('storage: key directory', () => {
  it('lists keys by whole-segment prefix and prunes emptied branches', () => {
    const keys = new KeyDirectory<number>()
    expect(keys.set('a:b:c', 1)).toBeUndefined()
    expect(keys.set('a:b:c', 2)).toBe(1)
    keys.set('a:b', 3)
    keys.set('a:bc', 4)
    keys.set('z', 5)
    expect(keys.keys('a:b').sort()).toEqual(['a:b', 'a:b:c'])
    expect(keys.keys('a:b:').sort()).toEqual(['a:b', 'a:b:c'])
    expect(keys.keys('').sort()).toEqual(['a:b', 'a:b:c', 'a:bc', 'z'])
    expect(keys.keys('a:x')).toEqual([])
    expect(keys.delete('a:b:c')).toBe(2)
    expect(keys.delete('a:b:c')).toBeUndefined()
    expect(keys.get('a:b')).toBe(3)
    expect(keys.delete('a:b')).toBe(3)
    expect(keys.delete('a:bc')).toBe(4)
    expect(keys.keys('a')).toEqual([])
    expect(keys.keys('').sort()).toEqual(['z'])
  })
})
