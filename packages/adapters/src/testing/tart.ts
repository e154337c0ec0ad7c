import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProviderStandIn } from '@provisio/engine/testing'
import type { TartOptions } from '../tart'
import { fakeTartScript } from './_tart/script'

export interface FakeTartOptions {
  /** Directory for the executable and the VM state (created when missing). */
  dir: string
  /** How long after `tart run` a VM answers `tart ip`. Default 300 ms. */
  ipAfterMs?: number
  /** How long `tart pull` takes, printing progress along the way. Default 500 ms. */
  pullDurationMs?: number
  /** VMs never get an IP address (a guest that does not boot). */
  neverIp?: boolean
  /** `tart run` ignores SIGTERM and SIGINT, so `tart stop` times out (it still dies on SIGKILL). */
  ignoreStop?: boolean
  /** Starts with a macOS sequoia base image (OCI) and a local Linux ubuntu VM. */
  seed?: boolean
  /** What `tart --version` prints. */
  version?: string
}

export interface FakeTart {
  /** Path of the executable: pass it as the tart adapter's `binary`. */
  bin: string
  dir: string
  /** Kills VMs still running and removes `dir`. */
  cleanup: () => Promise<void>
}

export const seedVms = [
  {
    Name: 'ghcr.io/cirruslabs/macos-sequoia-base:latest',
    Source: 'OCI',
    OS: 'darwin',
    CPU: 4,
    Memory: 8192,
    Disk: 50,
    DiskFormat: 'raw',
    Size: '22.000',
    Display: '1024x768',
    State: 'stopped',
    Accessed: '2026-01-05T09:30:00Z',
  },
  {
    Name: 'ubuntu',
    Source: 'local',
    OS: 'linux',
    CPU: 2,
    Memory: 4096,
    Disk: 20,
    DiskFormat: 'raw',
    Size: '3.412',
    Display: '1024x768',
    State: 'stopped',
    Accessed: '2026-01-04T17:12:00Z',
  },
]

/**
 * A stand-in for the macOS-only `tart` CLI: an executable that keeps VM state
 * in `dir`, prints tart's JSON shapes and exits with tart's codes.
 *
 * ```ts
 * const fake = await createFakeTart({ dir: await mkdtemp(join(tmpdir(), 'tart-')), seed: true })
 * const engine = createEngine({ providers: [tart({ binary: fake.bin })] })
 * ```
 */
export async function createFakeTart(options: FakeTartOptions): Promise<FakeTart> {
  const { dir } = options
  const vmsDir = join(dir, 'vms')
  await mkdir(vmsDir, { recursive: true })
  await writeFile(
    join(dir, 'settings.json'),
    JSON.stringify({
      ipAfterMs: options.ipAfterMs ?? 300,
      pullDurationMs: options.pullDurationMs ?? 500,
      neverIp: options.neverIp ?? false,
      ignoreStop: options.ignoreStop ?? false,
      version: options.version ?? '2.22.4',
    }),
  )
  if (options.seed) {
    for (const vm of seedVms) await writeFile(join(vmsDir, `${encodeURIComponent(vm.Name)}.json`), JSON.stringify(vm, null, 2))
  }
  const bin = join(dir, 'tart')
  await writeFile(bin, `#!/usr/bin/env node\n${fakeTartScript.replace('__HOME__', JSON.stringify(dir))}`)
  await chmod(bin, 0o755)

  return {
    bin,
    dir,
    async cleanup() {
      for (const file of await readdir(vmsDir).catch(() => [])) {
        const vm = JSON.parse(await readFile(join(vmsDir, file), 'utf8').catch(() => '{}')) as { runPid?: number }
        if (vm.runPid) {
          try {
            process.kill(vm.runPid, 'SIGKILL')
          } catch {
            // Already gone.
          }
        }
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The tart provider's stand-in for the provider conformance suite: the fake tart in a
 * temporary directory, with the seeded VMs and a pull that takes a minute.
 *
 * ```ts
 * describe('providers: tart', () => testProvider(tartProvider, tartStandIn()))
 * ```
 */
export function tartStandIn(): ProviderStandIn<TartOptions> {
  return {
    async start() {
      const root = await mkdtemp(join(tmpdir(), 'provisio-tart-standin-'))
      const fake = await createFakeTart({ dir: join(root, 'fake'), seed: true, pullDurationMs: 60_000 })
      return {
        options: { binary: fake.bin, vmLogDir: join(root, 'logs') },
        async stop() {
          await fake.cleanup()
          await rm(root, { recursive: true, force: true })
        },
      }
    },
    succeeds: { action: 'vm.list', input: {} },
    fails: { action: 'vm.get', input: { name: 'ghcr.io/nobody/missing:1' }, code: 'not_found' },
    cancellable: { action: 'vm.pull', input: { name: 'ghcr.io/cirruslabs/ubuntu:24.04' } },
    reversible: { action: 'vm.clone', input: { source: 'ubuntu', name: 'conformance/ubuntu:1' } },
  }
}
