import type { InstanceCache } from './instance-cache'

export interface CostLine {
  label: string
  hostname: string
  plan: string
  region: string
  tags: string[]
  power_status: string
  monthly_cost: number
  hourly_cost: number
  vultr_id: string
}

export interface CostReport {
  generated_at: null
  /** The Vultr account's figures as the last refresh read them; zeros before one (or when the key cannot read the account). */
  account: { pending_charges: number; balance: number }
  total_monthly_cost: number
  instances: CostLine[]
  source: 'computed'
  cached_at: string | null
}

export interface CostGroup {
  monthly_cost: number
  instance_count: number
}

const cents = (value: number) => Math.round(value * 100) / 100

/** The real backend's computed report: each cached instance priced by its plan. */
export function costReport(cache: InstanceCache | undefined): CostReport {
  const prices = new Map((cache?.plans ?? []).map((plan) => [plan.id, plan]))
  const instances: CostLine[] = Object.entries(cache?.inventory.all.hosts ?? {}).map(([hostname, host]) => {
    const plan = prices.get(host.vultr_plan)
    return {
      label: host.vultr_label || hostname,
      hostname,
      plan: host.vultr_plan,
      region: host.vultr_region,
      tags: host.vultr_tags,
      power_status: host.vultr_power_status,
      monthly_cost: plan?.monthly_cost ?? 0,
      hourly_cost: plan?.hourly_cost ?? 0,
      vultr_id: host.vultr_id,
    }
  })
  return {
    generated_at: null,
    account: { pending_charges: cache?.account?.pending_charges ?? 0, balance: cache?.account?.balance ?? 0 },
    total_monthly_cost: cents(instances.reduce((sum, line) => sum + line.monthly_cost, 0)),
    instances,
    source: 'computed',
    cached_at: cache?.cachedAt.replace(/Z$/, '+00:00') ?? null,
  }
}

/** Monthly cost and instance count per key, most expensive first (ties by name). */
export function groupCosts(instances: CostLine[], keysOf: (line: CostLine) => string[]): [string, CostGroup][] {
  const groups = new Map<string, CostGroup>()
  for (const line of instances) {
    for (const key of keysOf(line)) {
      const group = groups.get(key) ?? { monthly_cost: 0, instance_count: 0 }
      group.monthly_cost = cents(group.monthly_cost + line.monthly_cost)
      group.instance_count++
      groups.set(key, group)
    }
  }
  return [...groups].sort((a, b) => b[1].monthly_cost - a[1].monthly_cost || a[0].localeCompare(b[0]))
}
