import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ActionContext } from '@provisio/engine'
import { defineProvider } from '@provisio/engine'
import { z } from 'zod'
import { findExecutable, runProcess } from './utils/process'
import { createRedactor, type Redactor } from './utils/redact'
import { errorForExitCode } from './_ansible/exit-codes'
import { createError } from './utils/error'
import { renderInventory } from './_ansible/inventory'
import { countPlaybookTasks, createRecapParser, type HostRecap } from './_ansible/recap'

export type { AnsibleErrorCode } from './_ansible/exit-codes'
export type { HostRecap } from './_ansible/recap'
export type { InventoryInput } from './_ansible/inventory'

const PROVIDER_NAME = 'ansible'

const inventorySchema = z.union([z.string().min(1), z.array(z.string()), z.record(z.string(), z.unknown())])

export const ansibleConfigSchema = z.object({
  /** The `ansible-playbook` executable: a name looked up in `PATH`, or a path. */
  binary: z.string().default('ansible-playbook'),
  /** Inventory for jobs that name none. */
  inventory: inventorySchema.optional(),
  /** Environment added to every run (e.g. `ANSIBLE_CONFIG`), over the adapter's own defaults. */
  env: z.record(z.string(), z.string()).default({}),
  /** Where each run's temporary files (inventory, extra vars, vault password) go. */
  tempDir: z.string().optional(),
  /** How long ansible gets between SIGINT and SIGKILL on cancel. */
  graceMs: z.number().int().min(0).max(60_000).default(1000),
})

export type AnsibleConfig = z.output<typeof ansibleConfigSchema>
export type AnsibleOptions = z.input<typeof ansibleConfigSchema>

const listOrString = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])

export const playbookRunInput = z.object({
  /** Path to the playbook, relative to `cwd`. */
  playbook: z.string().min(1),
  inventory: inventorySchema.optional(),
  /** Written to a JSON file passed as `-e @file`: values keep their types and never meet a shell. */
  extraVars: z.record(z.string(), z.unknown()).optional(),
  /** Names of `extraVars` to hide, beside those that look secret (`password`, `token`, `secret`, `api_key`...). */
  secretVars: z.array(z.string()).default([]),
  /** Dry run (`--check`): report what would change. */
  check: z.boolean().default(false),
  /** Also show what would change (`--diff`). */
  diff: z.boolean().default(false),
  limit: listOrString.optional(),
  tags: listOrString.optional(),
  skipTags: listOrString.optional(),
  /** Passed through a 0600 temporary file, removed after the run. */
  vaultPassword: z.string().min(1).optional(),
  /** 0-4, as many `-v`. */
  verbosity: z.number().int().min(0).max(4).default(0),
  cwd: z.string().optional(),
})

export const playbookCheckInput = playbookRunInput.pick({ playbook: true, inventory: true, cwd: true })

export type PlaybookRunInput = z.input<typeof playbookRunInput>
export type PlaybookCheckInput = z.input<typeof playbookCheckInput>

export interface PlaybookRunResult {
  hosts: Record<string, HostRecap>
  exitCode: number
  check: boolean
}

export interface PlaybookCheckResult {
  valid: true
}

type RunInput = z.output<typeof playbookRunInput>

const defaultEnv = {
  PYTHONUNBUFFERED: '1',
  ANSIBLE_FORCE_COLOR: '0',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_HOST_KEY_CHECKING: 'False',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
  // The recap is read from the default callback's output.
  ANSIBLE_STDOUT_CALLBACK: 'default',
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value.join(',') : value)

/** The input as it may be stored or shown: vault password and secret extra vars masked. */
export function redactPlaybookInput<T extends Partial<RunInput>>(input: T): T {
  return createRedactor({ keys: input.secretVars ?? [] }).value(input)
}

function redactorFor(input: RunInput): Redactor {
  const redact = createRedactor({ keys: input.secretVars, secrets: [input.vaultPassword] })
  redact.collect(input.extraVars)
  return redact
}

function resolveBinary(config: AnsibleConfig): string {
  const binary = findExecutable(config.binary, { path: process.env.PATH })
  if (!binary) {
    throw createError(
      'ansible',
      `${config.binary} not found: install ansible (Debian/Ubuntu: apt-get install -y ansible; elsewhere: pip install ansible-core) or set the adapter's \`binary\``,
      { code: 'not_installed' },
    )
  }
  return binary
}

interface PlaybookInvocation {
  ctx: ActionContext<AnsibleConfig>
  input: Pick<RunInput, 'playbook' | 'inventory' | 'cwd'> & Partial<RunInput>
  redact: Redactor
  /** Options besides inventory and playbook, given the run's temporary directory. */
  options: (tempDir: string) => Promise<string[]>
  onLine?: (line: string) => void
}

/** Runs ansible-playbook once with its temporary files, removed whatever happens. */
async function invokePlaybook({ ctx, input, redact, options, onLine }: PlaybookInvocation) {
  const config = ctx.config
  const binary = resolveBinary(config)
  const tempDir = await mkdtemp(join(config.tempDir ?? tmpdir(), 'provisio-ansible-'))
  let lastError: string | undefined
  try {
    const inventory = input.inventory ?? config.inventory
    const args = [...(inventory === undefined ? [] : ['-i', await renderInventory(inventory, tempDir)]), ...(await options(tempDir)), input.playbook]
    ctx.log(redact.text(`$ ansible-playbook ${args.join(' ')}`))
    const result = await runProcess({
      file: binary,
      args,
      cwd: input.cwd,
      env: { ...defaultEnv, ...config.env },
      signal: ctx.signal,
      stopSignal: 'SIGINT',
      graceMs: config.graceMs,
      onLine: (raw) => {
        const line = redact.text(raw)
        if (!lastError && /^(ERROR!|\[ERROR\]:)/.test(line)) lastError = line.replace(/^(ERROR!|\[ERROR\]:)\s*/, '')
        ctx.log(line)
        onLine?.(line)
      },
    })
    if (result.spawnError) throw createError('ansible', `could not start ${binary}: ${result.spawnError.message}`, { code: 'not_installed' })
    return { ...result, lastError }
  } finally {
    await rm(tempDir, { recursive: true, force: true })
  }
}

/** Reports progress from `TASK [...]` lines against the tasks counted in the playbook. */
async function createTaskProgress(ctx: ActionContext<AnsibleConfig>, playbookPath: string) {
  const total = await readFile(playbookPath, 'utf8').then(countPlaybookTasks, () => 0)
  let seen = 0
  return (line: string) => {
    const task = /^TASK \[(.*)\]/.exec(line)
    if (!task || task[1] === 'Gathering Facts') return
    seen++
    // Starting a task means the ones before it are done.
    const percent = total > 0 ? Math.min(99, Math.floor(((seen - 1) / total) * 100)) : 0
    ctx.progress(percent, task[1])
  }
}

/**
 * A provider that runs the real `ansible-playbook`.
 *
 * ```ts
 * const engine = createEngine({ providers: [ansible({ inventory: ['web1 ansible_host=10.0.0.5'] })] })
 * await engine.jobs.submit({ provider: 'ansible', action: 'playbook.run', input: { playbook: 'site.yml', extraVars: { version: '1.2.0' } } })
 * ```
 */
export const ansibleProvider = defineProvider<typeof ansibleConfigSchema, { 'playbook.run': RunInput; 'playbook.check': z.output<typeof playbookCheckInput> }>({
  name: PROVIDER_NAME,
  description: 'Runs Ansible playbooks with ansible-playbook',
  config: ansibleConfigSchema,
  actions: {
    'playbook.run': {
      description: 'Run a playbook; the result holds the PLAY RECAP per host',
      input: playbookRunInput,
      redact: redactPlaybookInput,
      async run(ctx, input): Promise<PlaybookRunResult> {
        const redact = redactorFor(input)
        try {
          const recap = createRecapParser()
          const progress = await createTaskProgress(ctx, resolve(input.cwd ?? '.', input.playbook))
          const result = await invokePlaybook({
            ctx,
            input,
            redact,
            onLine: (line) => {
              recap.push(line)
              progress(line)
            },
            options: async (tempDir) => {
              const args: string[] = []
              if (input.extraVars) {
                const varsPath = join(tempDir, 'extra-vars.json')
                await writeFile(varsPath, JSON.stringify(input.extraVars), { mode: 0o600 })
                args.push('-e', `@${varsPath}`)
              }
              if (input.vaultPassword) {
                const passwordPath = join(tempDir, 'vault-password')
                await writeFile(passwordPath, input.vaultPassword, { mode: 0o600 })
                args.push('--vault-password-file', passwordPath)
              }
              if (input.check) args.push('--check')
              if (input.diff) args.push('--diff')
              if (input.limit) args.push('--limit', asList(input.limit))
              if (input.tags) args.push('--tags', asList(input.tags))
              if (input.skipTags) args.push('--skip-tags', asList(input.skipTags))
              if (input.verbosity > 0) args.push(`-${'v'.repeat(input.verbosity)}`)
              return args
            },
          })
          const outcome: PlaybookRunResult = { hosts: recap.hosts, exitCode: result.exitCode, check: input.check }
          if (result.exitCode !== 0 || result.aborted) {
            ctx.log(`[EXIT CODE: ${result.exitCode}]`)
            if (Object.keys(recap.hosts).length) ctx.emit('ansible.recap', outcome)
            throw errorForExitCode(result.aborted ? 130 : result.exitCode, { hosts: recap.hosts, lastError: result.lastError, result: outcome })
          }
          ctx.progress(100)
          return outcome
        } catch (error) {
          throw redact.error(error)
        }
      },
    },
    'playbook.check': {
      description: 'Check a playbook for syntax errors (--syntax-check) without running it',
      input: playbookCheckInput,
      idempotent: true,
      async run(ctx, input): Promise<PlaybookCheckResult> {
        const redact = createRedactor()
        const result = await invokePlaybook({ ctx, input, redact, options: async () => ['--syntax-check'] })
        if (result.exitCode !== 0 || result.aborted) {
          ctx.log(`[EXIT CODE: ${result.exitCode}]`)
          throw errorForExitCode(result.aborted ? 130 : result.exitCode, { hosts: {}, lastError: result.lastError })
        }
        return { valid: true }
      },
    },
  },
})

/** The ansible provider with its configuration, ready for `createEngine({ providers })`. */
export function ansible(config: AnsibleOptions = {}) {
  return ansibleProvider.configure(config)
}
