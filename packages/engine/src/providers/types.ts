import type { Storage } from 'unstorage'
import type { z } from 'zod'

/** What an action's `run` and `undo` receive besides their input. */
export interface ActionContext<Config = unknown> {
  /** Id of the job this call belongs to. */
  jobId: string
  /** 1 for the first run, 2 for the first retry, and so on. */
  attempt: number
  /** The provider's validated configuration. */
  config: Config
  /** Aborted when the job is cancelled or times out: pass it to child processes and fetch calls. */
  signal: AbortSignal
  /** Appends one line to the job's output (a string with newlines is split into several lines). */
  log: (line: string) => void
  /** Reports progress in percent (0-100), optionally naming the current step. */
  progress: (percent: number, step?: string) => void
  /** Emits a custom event (`job:event`) that listeners and surfaces may forward. */
  emit: (type: string, data?: unknown) => void
  /** Storage scoped to this provider (`providers:<name>:`), shared by all its jobs. */
  storage: Storage
}

export interface ActionDefinition<Config = any, Input = any, Result = any> {
  /** Validates the job's input before the job is created. */
  input: z.ZodType<Input>
  /** One line for docs and `--help`. */
  description?: string
  /**
   * An idempotent action is run again when the engine restarts after it was
   * interrupted; any other action ends `failed` with error `interrupted`.
   */
  idempotent?: boolean
  /**
   * Returns the form of the input kept in job records and events, e.g. with
   * passwords masked. The action itself still receives the full input, which
   * is kept apart (so a queued job survives a restart) and removed once the job ends.
   */
  redact?: (input: Input) => unknown
  run: (ctx: ActionContext<Config>, input: Input) => Promise<Result> | Result
  /** Reverses a completed run (rollback). Without it the action is not reversible. */
  undo?: (ctx: ActionContext<Config>, input: Input, result: Result) => Promise<unknown> | unknown
}

export interface ResourceListContext<Config = unknown> {
  config: Config
  signal: AbortSignal
  storage: Storage
}

export interface ProviderDefinition<ConfigSchema extends z.ZodType = z.ZodType> {
  name: string
  description?: string
  /** Validates the configuration given with `configure()`; defaults apply when none is given. */
  config?: ConfigSchema
  actions: Record<string, ActionDefinition<z.output<ConfigSchema>>>
  resources?: {
    /** Inventory of what the provider currently manages. */
    list: (ctx: ResourceListContext<z.output<ConfigSchema>>) => Promise<unknown[]> | unknown[]
  }
}

export interface Provider<ConfigSchema extends z.ZodType = z.ZodType> extends ProviderDefinition<ConfigSchema> {
  /** Configuration values given to `configure()`, validated by the engine when it registers the provider. */
  options?: z.input<ConfigSchema>
  /** Returns a copy of this provider with the given configuration. */
  configure: (options: z.input<ConfigSchema>) => Provider<ConfigSchema>
}
