import { describe, expect, it } from 'vitest'
import { formatDisk, formatMemory, toVmConfig, vmStatus } from '../../src/surfaces/tartvm/models'

describe('tartvm models: normalisation as the real server does it', () => {
  it('memory from MB to gigabytes, disks in gigabytes', () => {
    expect([8192, 4096, 1536, '16384', ' 2048 ', 'lots', '', null, true].map(formatMemory)).toEqual(['8G', '4G', '1.5G', '16G', '2G', 'lots', null, null, null])
    expect([50, 20.5, '100', null].map(formatDisk)).toEqual(['50G', '20.5G', '100G', null])
  })

  it('status: running, stopped for stopped or suspended, unknown otherwise', () => {
    expect(vmStatus({ Running: true, State: 'running' })).toBe('running')
    expect(vmStatus({ Running: false, State: 'stopped' })).toBe('stopped')
    expect(vmStatus({ Running: false, State: 'suspended' })).toBe('stopped')
    expect(vmStatus({ Running: false, State: 'restoring' })).toBe('unknown')
    expect(vmStatus({ Running: false })).toBe('stopped')
    expect(vmStatus({})).toBe('unknown')
  })

  it('a VM config keeps the JSON of tart get as raw', () => {
    const raw = { CPU: 4, Memory: 8192, Disk: 50, OS: 'darwin' }
    expect(toVmConfig('vm', raw)).toEqual({ name: 'vm', cpu: 4, memory: '8G', disk_size: '50G', raw })
    expect(toVmConfig('vm', {})).toEqual({ name: 'vm', cpu: null, memory: null, disk_size: null, raw: {} })
  })
})
