import type { VultrInstance, VultrPlan } from '@provisio/adapters'
import type { Storage } from 'unstorage'

/** One host of the cached inventory, as CloudLab's generate-inventory playbook writes it. */
export interface CachedHost {
  ansible_host: string
  vultr_label: string
  vultr_region: string
  vultr_plan: string
  vultr_os: string
  vultr_power_status: string
  vultr_id: string
  vultr_tags: string[]
}

export interface CachedPlan {
  id: string
  monthly_cost: number
  hourly_cost: number
}

/** The inventory as `GET /api/instances` answers it: an ansible inventory with every host under `all`. */
export interface InstanceInventory {
  all: { hosts: Record<string, CachedHost>; children: Record<string, unknown> }
}

/** The Vultr account's figures (`GET /v2/account`), in US dollars; the balance is negative while in credit. */
export interface CachedAccount {
  balance: number
  pending_charges: number
}

export interface InstanceCache {
  inventory: InstanceInventory
  plans: CachedPlan[]
  cachedAt: string
  /** Absent when the key could not read the account. */
  account?: CachedAccount
}

const KEY = 'instances'

/** Vultr bills hourly up to 672 hours a month; a plan without its own hourly price gets that share. */
const billedHoursPerMonth = 672

export const emptyInventory = (): InstanceInventory => ({ all: { hosts: {}, children: {} } })

/** The host name an instance is known by: its hostname, else its label, else its id. */
export function hostNameOf(instance: VultrInstance): string {
  return instance.hostname || instance.label || instance.id
}

export function inventoryOf(instances: VultrInstance[]): InstanceInventory {
  const inventory = emptyInventory()
  for (const instance of instances) {
    inventory.all.hosts[hostNameOf(instance)] = {
      ansible_host: instance.main_ip,
      vultr_label: instance.label,
      vultr_region: instance.region,
      vultr_plan: instance.plan,
      vultr_os: instance.os,
      vultr_power_status: instance.power_status,
      vultr_id: instance.id,
      vultr_tags: instance.tags ?? [],
    }
  }
  return inventory
}

export function plansOf(plans: (VultrPlan & { hourly_cost?: number })[]): CachedPlan[] {
  return plans.map((plan) => ({
    id: plan.id,
    monthly_cost: plan.monthly_cost,
    hourly_cost: plan.hourly_cost ?? Math.round((plan.monthly_cost / billedHoursPerMonth) * 1000) / 1000,
  }))
}

/**
 * The last Vultr inventory a refresh job read, kept in the engine's storage (the cloudlab
 * provider's own prefix) so that it survives a restart like the jobs that wrote it.
 */
export class InstanceCacheStore {
  constructor(private readonly storage: Storage) {}

  async read(): Promise<InstanceCache | undefined> {
    return (await this.storage.getItem<InstanceCache>(KEY)) ?? undefined
  }

  async write(cache: InstanceCache): Promise<void> {
    await this.storage.setItem(KEY, cache)
  }

  /** Drops hosts a stop removed, keeping the plans and the time of the last full read. */
  async removeHosts(vultrIds: ReadonlySet<string>): Promise<void> {
    const cache = await this.read()
    if (!cache) return
    for (const [host, info] of Object.entries(cache.inventory.all.hosts)) {
      if (vultrIds.has(info.vultr_id)) delete cache.inventory.all.hosts[host]
    }
    await this.write(cache)
  }
}
