import type { VultrOs, VultrPlan, VultrRegion } from '../../_vultr/types'

const standardOptions = ['ddos_protection', 'block_storage_storage_opt', 'block_storage_high_perf', 'load_balancers', 'kubernetes']

/** A part of Vultr's real region list (`GET /v2/regions`). */
export const vultrRegions: VultrRegion[] = [
  { id: 'ams', city: 'Amsterdam', country: 'NL', continent: 'Europe', options: standardOptions },
  { id: 'ewr', city: 'New Jersey', country: 'US', continent: 'North America', options: standardOptions },
  { id: 'fra', city: 'Frankfurt', country: 'DE', continent: 'Europe', options: standardOptions },
  { id: 'lhr', city: 'London', country: 'GB', continent: 'Europe', options: standardOptions },
  { id: 'nrt', city: 'Tokyo', country: 'JP', continent: 'Asia', options: ['ddos_protection', 'block_storage_storage_opt', 'load_balancers', 'kubernetes'] },
  { id: 'ord', city: 'Chicago', country: 'US', continent: 'North America', options: standardOptions },
  { id: 'sgp', city: 'Singapore', country: 'SG', continent: 'Asia', options: standardOptions },
  { id: 'sjc', city: 'Silicon Valley', country: 'US', continent: 'North America', options: standardOptions },
  {
    id: 'syd',
    city: 'Sydney',
    country: 'AU',
    continent: 'Australia',
    options: ['ddos_protection', 'block_storage_storage_opt', 'load_balancers', 'kubernetes'],
  },
]

const everywhere = vultrRegions.map((region) => region.id)

/** A part of Vultr's real plan list (`GET /v2/plans`); `ram` in MB, `disk` in GB, `bandwidth` in GB. */
export const vultrPlans: Array<VultrPlan & { hourly_cost: number }> = [
  {
    id: 'vc2-1c-1gb',
    vcpu_count: 1,
    ram: 1024,
    disk: 25,
    disk_count: 1,
    bandwidth: 1024,
    monthly_cost: 5,
    hourly_cost: 0.007,
    type: 'vc2',
    locations: everywhere,
  },
  {
    id: 'vc2-1c-2gb',
    vcpu_count: 1,
    ram: 2048,
    disk: 55,
    disk_count: 1,
    bandwidth: 2048,
    monthly_cost: 10,
    hourly_cost: 0.015,
    type: 'vc2',
    locations: everywhere,
  },
  {
    id: 'vc2-2c-2gb',
    vcpu_count: 2,
    ram: 2048,
    disk: 65,
    disk_count: 1,
    bandwidth: 3072,
    monthly_cost: 15,
    hourly_cost: 0.022,
    type: 'vc2',
    locations: everywhere,
  },
  {
    id: 'vc2-2c-4gb',
    vcpu_count: 2,
    ram: 4096,
    disk: 80,
    disk_count: 1,
    bandwidth: 3072,
    monthly_cost: 20,
    hourly_cost: 0.03,
    type: 'vc2',
    locations: everywhere,
  },
  {
    id: 'vc2-4c-8gb',
    vcpu_count: 4,
    ram: 8192,
    disk: 160,
    disk_count: 1,
    bandwidth: 4096,
    monthly_cost: 40,
    hourly_cost: 0.06,
    type: 'vc2',
    locations: everywhere,
  },
  {
    id: 'vhf-1c-1gb',
    vcpu_count: 1,
    ram: 1024,
    disk: 32,
    disk_count: 1,
    bandwidth: 1024,
    monthly_cost: 6,
    hourly_cost: 0.009,
    type: 'vhf',
    locations: ['ams', 'ewr', 'fra', 'lhr', 'ord', 'sjc'],
  },
  {
    id: 'vhf-2c-4gb',
    vcpu_count: 2,
    ram: 4096,
    disk: 128,
    disk_count: 1,
    bandwidth: 3072,
    monthly_cost: 24,
    hourly_cost: 0.036,
    type: 'vhf',
    locations: ['ams', 'ewr', 'fra', 'lhr', 'ord', 'sjc'],
  },
]

/** A part of Vultr's real OS list (`GET /v2/os`). */
export const vultrOperatingSystems: VultrOs[] = [
  { id: 477, name: 'Debian 11 x64 (bullseye)', arch: 'x64', family: 'debian' },
  { id: 1743, name: 'Ubuntu 22.04 LTS x64', arch: 'x64', family: 'ubuntu' },
  { id: 2136, name: 'Debian 12 x64 (bookworm)', arch: 'x64', family: 'debian' },
  { id: 2284, name: 'Ubuntu 24.04 LTS x64', arch: 'x64', family: 'ubuntu' },
]
