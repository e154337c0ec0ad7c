import { tartProvider, upcloudProvider, vultrProvider } from '@provisio/adapters'
import { describe, expect, it } from 'vitest'
import { serverDrivers } from '../../src/workspaces'

const providers = { vultr: vultrProvider, upcloud: upcloudProvider, tart: tartProvider }

describe('server drivers', () => {
  it('name the provider actions that create and delete a server, with inputs those actions accept', () => {
    const server = { name: 'web-1', provider: '', plan: 'p', zone: 'z', os_id: 2136, image: 'ubuntu', vars: {} }
    for (const [name, provider] of Object.entries(providers)) {
      const driver = serverDrivers.get(name)!
      for (const step of driver.createSteps({ ...server, provider: name }, { wait: true })) {
        expect(provider.actions[step.action].input.safeParse(step.input).success, `${name} ${step.action}`).toBe(true)
      }
      for (const removal of [...driver.deleteSteps('some-id'), driver.listStep]) {
        expect(provider.actions[removal.action].input.safeParse(removal.input).success, `${name} ${removal.action}`).toBe(true)
      }
    }
    // UpCloud deletes only stopped servers.
    expect(serverDrivers.get('upcloud')!.deleteSteps('u-1')).toEqual([
      { action: 'server.stop', input: { uuid: 'u-1' } },
      { action: 'server.delete', input: { uuid: 'u-1', storages: true } },
    ])
  })

  it('read the provider id and public IPv4 from what the create action returned', () => {
    expect(serverDrivers.get('vultr')!.identify({ id: 'v-1', main_ip: '192.0.2.5' }, 'web-1')).toEqual({ providerId: 'v-1', ip: '192.0.2.5' })
    // Created without waiting: Vultr has no address yet.
    expect(serverDrivers.get('vultr')!.identify({ id: 'v-2', main_ip: '0.0.0.0' }, 'web-2')).toEqual({ providerId: 'v-2', ip: null })
    const upcloudServer = {
      uuid: 'u-1',
      ipAddresses: [
        { access: 'private', family: 'IPv4', address: '10.0.0.5' },
        { access: 'public', family: 'IPv6', address: '2001:db8::5' },
        { access: 'public', family: 'IPv4', address: '198.51.100.5' },
      ],
    }
    expect(serverDrivers.get('upcloud')!.identify(upcloudServer, 'db-1')).toEqual({ providerId: 'u-1', ip: '198.51.100.5' })
    expect(serverDrivers.get('tart')!.identify({ ip_address: '192.168.64.3' }, 'vm-1')).toEqual({ providerId: 'vm-1', ip: '192.168.64.3' })
  })
})
