import type {
  UpCloudIpAddress,
  UpCloudPlan,
  UpCloudServer,
  UpCloudServerState,
  UpCloudServerSummary,
  UpCloudStorageDevice,
  UpCloudTemplate,
  UpCloudZone,
} from './types'

// UpCloud's API wraps lists twice, sends numbers as strings and booleans as
// "yes"/"no". These readers turn its answers into plain typed objects, so
// nothing past this file sees the quirks.

type Raw = Record<string, unknown>

/** `{"servers":{"server":[...]}}` → the array; tolerates a missing list or a lone object. */
export function unwrapList(container: unknown, inner: string): Raw[] {
  const value = (container as Raw | undefined)?.[inner]
  if (value === undefined || value === null || value === '') return []
  return (Array.isArray(value) ? value : [value]) as Raw[]
}

export function toNumber(value: unknown): number {
  const number = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''))
  return Number.isFinite(number) ? number : 0
}

export function toBoolean(value: unknown): boolean {
  return value === true || value === 'yes' || value === 'on' || value === 1 || value === '1' || value === 'true'
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value))

function toIsoTime(value: unknown): string | undefined {
  const seconds = toNumber(value)
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined
}

function parseLabels(value: unknown): Record<string, string> {
  return Object.fromEntries(unwrapList(value, 'label').map((label) => [text(label.key), text(label.value)]))
}

const serverStates = new Set<UpCloudServerState>(['started', 'stopped', 'maintenance', 'error'])
function parseState(value: unknown): UpCloudServerState {
  const state = text(value) as UpCloudServerState
  return serverStates.has(state) ? state : 'error'
}

export function parseServerSummary(raw: Raw): UpCloudServerSummary {
  const createdAt = toIsoTime(raw.created)
  return {
    uuid: text(raw.uuid),
    title: text(raw.title),
    hostname: text(raw.hostname),
    zone: text(raw.zone),
    plan: text(raw.plan),
    state: parseState(raw.state),
    cores: toNumber(raw.core_number),
    memoryMb: toNumber(raw.memory_amount),
    tags: unwrapList(raw.tags, 'tag').map(text),
    labels: parseLabels(raw.labels),
    ...(createdAt ? { createdAt } : {}),
  }
}

function parseIpAddress(raw: Raw): UpCloudIpAddress {
  return {
    access: text(raw.access) as UpCloudIpAddress['access'],
    address: text(raw.address),
    family: text(raw.family) as UpCloudIpAddress['family'],
  }
}

function parseStorageDevice(raw: Raw): UpCloudStorageDevice {
  return {
    uuid: text(raw.storage),
    title: text(raw.storage_title),
    sizeGb: toNumber(raw.storage_size),
    ...(raw.storage_tier === undefined ? {} : { tier: text(raw.storage_tier) }),
    type: text(raw.type),
    ...(raw.address === undefined ? {} : { address: text(raw.address) }),
    bootDisk: toBoolean(raw.boot_disk),
    partOfPlan: toBoolean(raw.part_of_plan),
  }
}

/** Reads `{"server":{...}}`'s inner object; fields not listed here (a password, for one) are dropped. */
export function parseServer(raw: Raw): UpCloudServer {
  return {
    ...parseServerSummary(raw),
    ipAddresses: unwrapList(raw.ip_addresses, 'ip_address').map(parseIpAddress),
    storageDevices: unwrapList(raw.storage_devices, 'storage_device').map(parseStorageDevice),
    metadata: toBoolean(raw.metadata),
    firewall: toBoolean(raw.firewall),
    remoteAccessEnabled: toBoolean(raw.remote_access_enabled),
  }
}

export function parseZone(raw: Raw): UpCloudZone {
  return {
    id: text(raw.id),
    description: text(raw.description),
    public: toBoolean(raw.public),
    ...(raw.parent_zone ? { parentZone: text(raw.parent_zone) } : {}),
  }
}

export function parsePlan(raw: Raw): UpCloudPlan {
  return {
    name: text(raw.name),
    cores: toNumber(raw.core_number),
    memoryMb: toNumber(raw.memory_amount),
    storageSizeGb: toNumber(raw.storage_size),
    storageTier: text(raw.storage_tier),
    publicTrafficOutGb: toNumber(raw.public_traffic_out),
  }
}

export function parseTemplate(raw: Raw): UpCloudTemplate {
  return {
    uuid: text(raw.uuid),
    title: text(raw.title),
    sizeGb: toNumber(raw.size),
    access: text(raw.access) as UpCloudTemplate['access'],
    state: text(raw.state),
    ...(raw.tier === undefined ? {} : { tier: text(raw.tier) }),
    license: toNumber(raw.license),
  }
}
