/** An instance as Vultr's API v2 returns it (`default_password` is never kept). */
export interface VultrInstance {
  id: string
  os: string
  ram: number
  disk: number
  main_ip: string
  vcpu_count: number
  region: string
  plan: string
  date_created: string
  status: 'active' | 'pending' | 'suspended' | 'resizing'
  allowed_bandwidth: number
  netmask_v4: string
  gateway_v4: string
  power_status: 'running' | 'stopped'
  server_status: 'none' | 'locked' | 'installingbooting' | 'ok'
  v6_main_ip: string
  v6_network: string
  v6_network_size: number
  label: string
  internal_ip: string
  kvm: string
  hostname: string
  /** Deprecated by Vultr in favour of `tags`. */
  tag: string
  tags: string[]
  os_id: number
  app_id: number
  image_id: string
  firewall_group_id: string
  features: string[]
}

export interface VultrRegion {
  id: string
  city: string
  country: string
  continent: string
  options: string[]
}

export interface VultrPlan {
  id: string
  vcpu_count: number
  ram: number
  disk: number
  disk_count: number
  bandwidth: number
  monthly_cost: number
  type: string
  locations: string[]
}

export interface VultrOs {
  id: number
  name: string
  arch: string
  family: string
}

/** The `meta` block of every Vultr list answer. */
export interface VultrListMeta {
  total: number
  links: { next: string; prev: string }
}

/** The account as `GET /v2/account` returns it; amounts in US dollars. */
export interface VultrAccount {
  name: string
  email: string
  acls: string[]
  /** Negative while the account is in credit. */
  balance: number
  /** Charges accrued this month and not yet invoiced. */
  pending_charges: number
  last_payment_date: string
  last_payment_amount: number
}
