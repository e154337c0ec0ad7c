import { readFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { VultrInstance, VultrOs } from '@provisio/adapters'
import { parse, stringify } from 'yaml'
import { z } from 'zod'

/** Runs another provider's action inside the job (the cloudlab provider's `step`). */
export type StepRunner = <T>(provider: string, action: string, input: unknown) => Promise<T>

/** One entry of `instance.yaml` (reference §6): the OS by name (`Ubuntu 22.04 LTS x64`) or by id. */
const declaredInstance = z.object({
  label: z.string().min(1),
  plan: z.string().min(1),
  region: z.string().min(1),
  os: z.union([z.string().min(1), z.number().int()]).optional(),
  os_id: z.number().int().optional(),
  hostname: z.string().min(1).optional(),
  tags: z.array(z.string()).default([]),
})

const instanceFile = z.object({ instances: z.array(declaredInstance).default([]) }).nullable()

type DeclaredInstance = z.output<typeof declaredInstance>

/** A problem with `instance.yaml`, said in the job's output before the job fails. */
export class InstanceFileError extends Error {
  constructor(message: string) {
    super(`[provisio] [cloudlab] instance.yaml: ${message}`)
    this.name = this.constructor.name
  }
}

async function declaredInstances(dir: string): Promise<DeclaredInstance[]> {
  let document: unknown
  try {
    document = parse(await readFile(join(dir, 'instance.yaml'), 'utf8'))
  } catch (error) {
    throw new InstanceFileError(error instanceof Error ? error.message : String(error))
  }
  const parsed = instanceFile.safeParse(document)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new InstanceFileError(`${issue.path.join('.') || 'document'}: ${issue.message}`)
  }
  return parsed.data?.instances ?? []
}

/** The `os_id` of an entry: given, numeric, or looked up by name in Vultr's OS list (read once, when needed). */
function osResolver(run: StepRunner) {
  let images: Promise<VultrOs[]> | undefined
  return async (entry: DeclaredInstance): Promise<number> => {
    if (entry.os_id !== undefined) return entry.os_id
    if (typeof entry.os === 'number') return entry.os
    if (entry.os === undefined) throw new InstanceFileError(`${entry.label}: names no os`)
    if (/^\d+$/.test(entry.os)) return Number(entry.os)
    images ??= run<VultrOs[]>('vultr', 'os.list', {})
    const wanted = entry.os.toLowerCase()
    const image = (await images).find((candidate) => candidate.name.toLowerCase() === wanted)
    if (!image) throw new InstanceFileError(`${entry.label}: no Vultr OS image is named "${entry.os}"`)
    return image.id
  }
}

/**
 * Seed 000's first deploy step (`start-instances.yaml -e instances_file=instance.yaml`), through
 * the vultr adapter: each instance `instance.yaml` declares is created unless one with its label
 * already runs in its region, and waited for until it is ready. The hosts are written to
 * `outputs/temp_inventory.yaml`, the inventory the service's `main.yaml` then runs against (and
 * what marks an active deployment).
 */
export async function startServiceInstances(run: StepRunner, log: (line: string) => void, dir: string): Promise<VultrInstance[]> {
  const declared = await declaredInstances(dir)
  if (declared.length === 0) {
    log('[No instances declared in instance.yaml]')
    return []
  }
  const running = await run<VultrInstance[]>('vultr', 'instance.list', {})
  const osIdOf = osResolver(run)
  const instances: VultrInstance[] = []
  for (const entry of declared) {
    const existing = running.find((instance) => instance.label === entry.label && instance.region === entry.region)
    if (existing) {
      log(`[Instance ${entry.label} already exists in ${entry.region}]`)
      instances.push(existing)
      continue
    }
    const input = {
      region: entry.region,
      plan: entry.plan,
      os_id: await osIdOf(entry),
      label: entry.label,
      hostname: entry.hostname ?? entry.label,
      tags: entry.tags,
    }
    instances.push(await run<VultrInstance>('vultr', 'instance.create', input))
  }
  const hosts = Object.fromEntries(instances.map((instance) => [instance.label, { ansible_host: instance.main_ip, ansible_user: 'root' }]))
  await mkdir(join(dir, 'outputs'), { recursive: true })
  await writeFile(join(dir, 'outputs', 'temp_inventory.yaml'), stringify({ all: { hosts } }))
  log(`[${instances.length} instance(s) written to outputs/temp_inventory.yaml]`)
  return instances
}
