import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineProvider } from '@provisio/engine'
import { z } from 'zod'
import { inputsToEnv, shellQuote } from './_exec/env'
import { createError } from './utils/error'
import { runProcess } from './utils/process'
import { createRedactor } from './utils/redact'

export { inputsToEnv } from './_exec/env'

/** The `code` of a failed exec job's error. */
export type ExecErrorCode = 'exit_code' | 'spawn' | 'aborted'

const PROVIDER_NAME = 'exec'

export const execConfigSchema = z.object({
  /** Working directory when a job names none; the engine's own when omitted. */
  cwd: z.string().optional(),
  /** Environment added to every job's, beneath the job's own `env`. */
  env: z.record(z.string(), z.string()).default({}),
  /** Shell that runs `command` lines and `script` bodies. */
  shell: z.string().default('bash'),
  /** How long the process group gets between SIGTERM and SIGKILL on cancel. */
  graceMs: z.number().int().min(0).max(60_000).default(1000),
})

export type ExecConfig = z.output<typeof execConfigSchema>
export type ExecOptions = z.input<typeof execConfigSchema>

const inputValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])

export const execRunInput = z
  .object({
    /** A command line run by the shell, e.g. `bash deploy.sh`. */
    command: z.string().min(1).optional(),
    /** A script body run by the shell from a temporary file. */
    script: z.string().min(1).optional(),
    /** Arguments quoted and appended to `command`, or passed to `script` as `$1`, `$2`, ... */
    args: z.array(z.string()).default([]),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    /** Exposed as `INPUT_<NAME>` environment variables. */
    inputs: z.record(z.string(), inputValue).default({}),
    /** Names of `inputs` or `env` entries whose values are hidden from output, besides those that look secret. */
    secrets: z.array(z.string()).default([]),
  })
  .refine((input) => (input.command === undefined) !== (input.script === undefined), {
    message: 'give either command or script, not both',
  })

export type ExecRunInput = z.input<typeof execRunInput>

export interface ExecRunResult {
  exitCode: number
  durationMs: number
}

/**
 * A provider that runs shell commands and scripts, output merged line by line.
 *
 * ```ts
 * const engine = createEngine({ providers: [exec({ cwd: '/srv/app' })] })
 * await engine.jobs.submit({ provider: 'exec', action: 'run', input: { command: 'bash deploy.sh', inputs: { version: '1.2.0' } } })
 * ```
 */
export const execProvider = defineProvider<typeof execConfigSchema, { run: z.output<typeof execRunInput> }>({
  name: PROVIDER_NAME,
  description: 'Runs shell commands and scripts on the engine host',
  config: execConfigSchema,
  actions: {
    run: {
      description: 'Run a command line or a script; fails on a non-zero exit code',
      input: execRunInput,
      // Job records keep inputs and env entries that look secret (or are listed in `secrets`) masked.
      redact: (input) => createRedactor({ keys: input.secrets }).value(input),
      async run(ctx, input): Promise<ExecRunResult> {
        const config = ctx.config
        const redact = createRedactor({ keys: input.secrets })
        redact.collect({ env: config.env })
        redact.collect({ env: input.env, inputs: input.inputs })
        const log = (line: string) => ctx.log(redact.text(line))

        let scriptDir: string | undefined
        let args: string[]
        let shown: string
        if (input.command !== undefined) {
          const line = [input.command, ...input.args.map(shellQuote)].join(' ')
          args = ['-c', line]
          shown = line
        } else {
          scriptDir = await mkdtemp(join(tmpdir(), 'provisio-exec-'))
          const scriptPath = join(scriptDir, 'script')
          await writeFile(scriptPath, input.script!, { mode: 0o700 })
          await chmod(scriptPath, 0o700)
          args = [scriptPath, ...input.args]
          shown = [config.shell, '<script>', ...input.args.map(shellQuote)].join(' ')
        }

        try {
          log(`$ ${shown}`)
          const result = await runProcess({
            file: config.shell,
            args,
            cwd: input.cwd ?? config.cwd,
            env: { ...config.env, ...input.env, ...inputsToEnv(input.inputs) },
            signal: ctx.signal,
            graceMs: config.graceMs,
            onLine: log,
          })
          if (result.spawnError) {
            throw createError('exec', `could not start ${config.shell}: ${result.spawnError.message}`, { code: 'spawn', cause: result.spawnError })
          }
          if (result.aborted) {
            log(`[EXIT CODE: ${result.exitCode}]`)
            throw createError('exec', `stopped (${result.signal ?? 'exit'}) because the job was cancelled or timed out`, {
              code: 'aborted',
              exitCode: result.exitCode,
            })
          }
          if (result.exitCode !== 0) {
            log(`[EXIT CODE: ${result.exitCode}]`)
            throw createError('exec', `command failed with exit code ${result.exitCode}`, { code: 'exit_code', exitCode: result.exitCode })
          }
          return { exitCode: result.exitCode, durationMs: result.durationMs }
        } catch (error) {
          throw redact.error(error)
        } finally {
          if (scriptDir) await rm(scriptDir, { recursive: true, force: true })
        }
      },
    },
  },
})

/** The exec provider with its configuration, ready for `createEngine({ providers })`. */
export function exec(config: ExecOptions = {}) {
  return execProvider.configure(config)
}
