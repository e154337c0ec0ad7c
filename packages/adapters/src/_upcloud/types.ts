export type UpCloudServerState = 'started' | 'stopped' | 'maintenance' | 'error'

export interface UpCloudIpAddress {
  access: 'public' | 'private' | 'utility'
  address: string
  family: 'IPv4' | 'IPv6'
}

export interface UpCloudStorageDevice {
  uuid: string
  title: string
  sizeGb: number
  tier?: string
  type: string
  /** Bus address, e.g. `virtio:0`. */
  address?: string
  bootDisk: boolean
  partOfPlan: boolean
}

/** A server as `GET /server` lists it. */
export interface UpCloudServerSummary {
  uuid: string
  title: string
  hostname: string
  zone: string
  plan: string
  state: UpCloudServerState
  cores: number
  memoryMb: number
  tags: string[]
  labels: Record<string, string>
  /** ISO time; absent when the API did not say. */
  createdAt?: string
}

/** A server as `GET /server/{uuid}` describes it. */
export interface UpCloudServer extends UpCloudServerSummary {
  ipAddresses: UpCloudIpAddress[]
  storageDevices: UpCloudStorageDevice[]
  metadata: boolean
  firewall: boolean
  remoteAccessEnabled: boolean
}

export interface UpCloudZone {
  id: string
  description: string
  public: boolean
  /** For private clouds, the public zone they live in. */
  parentZone?: string
}

export interface UpCloudPlan {
  name: string
  cores: number
  memoryMb: number
  storageSizeGb: number
  storageTier: string
  publicTrafficOutGb: number
}

export interface UpCloudTemplate {
  uuid: string
  title: string
  sizeGb: number
  access: 'public' | 'private'
  state: string
  tier?: string
  license: number
}
