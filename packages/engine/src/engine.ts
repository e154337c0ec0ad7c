import { EventEmitter } from 'node:events'
import type { Storage } from 'unstorage'
import { EngineStateError } from './errors'
import type { EngineEventMap } from './events'
import { claimsFor } from './jobs/claims'
import { Scheduler } from './jobs/scheduler'
import { JobQueue } from './jobs/queue'
import type { EngineHooks, JobsApi } from './jobs/types'
import type { JobDispatcher } from './jobs/dispatch/types'
import { JobStore } from './jobs/store'
import { LocalWorker } from './jobs/worker'
import { memoryStorage } from './storage/memory'
import { registerProvider, type RegisteredProvider } from './providers/registry'
import type { ActionDefinition, Provider } from './providers/types'
import { TemplateRegistry } from './templates/registry'
import { createWorkflowService, type WorkflowService } from './workflows'
import type { WorkflowServiceOptions } from './workflows/api'

type Teardown = () => void | Promise<void>

export interface EngineOptions {
  /** Any unstorage `Storage`; memory when omitted. Use `fsStorage({ base })` for a durable, log-structured data directory. */
  storage?: Storage
  providers?: Provider<any>[]
  plugins?: Plugin[]
  /** Jobs running at once across all keys. Default 8. */
  concurrency?: number
  /** Running jobs allowed per concurrency key; 1 for a key not listed. */
  concurrencyKeys?: Record<string, number>
  /**
   * How long a claim on a job or a workflow lasts unless renewed (it is renewed every third
   * of it while the job runs, or the workflow is driven). When an engine dies, another
   * engine on the same storage takes its jobs and workflows over once their leases lapse
   * (it looks once per lease). Default 30 000 ms.
   */
  leaseMs?: number
  /**
   * Decides where and when jobs run. Without one, this process runs every job it is given;
   * `bullmqDispatcher` from `@provisio/engine/bullmq` spreads them over every engine on one
   * Redis (with a storage they share), with the limits above held across them.
   */
  dispatcher?: JobDispatcher
  /** How long `stop()` lets running jobs finish before cancelling them. Default 10 000 ms. */
  stopGraceMs?: number
  /** Workflow settings, e.g. `undoRetry`: the retry policy of each undo job during rollback. */
  workflows?: WorkflowServiceOptions
  /**
   * Providers known but not available here, each with what to do about it (`{ vultr: 'set
   * VULTR_API_KEY' }`): work submitted to them is refused with that text instead of "unknown provider".
   */
  unavailableProviders?: Record<string, string>
}

/** What a workflow template's `build` receives besides its validated parameters. */
export interface TemplateContext {
  engine: Engine
}

export interface Plugin {
  name: string
  /** Called once when the engine starts, before queued jobs resume. May return a teardown. */
  setup: (engine: Engine) => void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>
}

/** A route a plugin contributes; `@provisio/http` mounts it on the surfaces it names (all when omitted). */
export interface PluginRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  surfaces?: string[]
  handler: (request: Request) => Response | Promise<Response>
}

/**
 * An engine: providers, plugins, the job queue and the storage they share.
 * Typed events come from `on`, `once` and `off` (see `EngineEvents`).
 */
export class Engine extends EventEmitter<EngineEventMap> {
  readonly storage: Storage
  readonly jobs: JobsApi
  /** The dispatcher given in the options (its node id, and whatever it tells of the cluster). */
  readonly dispatcher?: JobDispatcher
  /**
   * True while the engine emits an event that another node published (a
   * dispatcher relays every node's events to every node, so live followers
   * anywhere see every job). A listener whose effect must happen once in the
   * cluster (a notification, a counter, a sync) returns early while it is true.
   */
  get relaying(): boolean {
    return this.dispatcher?.relaying ?? false
  }
  /** Workflows: batches of operations over a dependency DAG (see docs/workflows.md). */
  readonly workflows: WorkflowService['workflows']
  readonly checkpoints: WorkflowService['checkpoints']
  /** Workflow templates by name, filled in by plugins (see docs/workflows.md). */
  readonly templates: TemplateRegistry<TemplateContext> = new TemplateRegistry((submission) => this.workflows.submit(submission), { engine: this })
  private readonly registry = new Map<string, RegisteredProvider>()
  private readonly hooks: { [K in keyof EngineHooks]: Set<EngineHooks[K]> } = { beforeJob: new Set(), afterJob: new Set() }
  private readonly pluginRoutes: PluginRoute[] = []
  private readonly jobQueue: JobQueue
  private readonly jobWorker: LocalWorker
  private readonly workflowService: WorkflowService
  private readonly plugins: Plugin[]
  private readonly teardowns: Teardown[] = []
  private readonly stopGraceMs: number
  private state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new'

  constructor(options: EngineOptions = {}) {
    super()
    this.setMaxListeners(0)
    this.storage = options.storage ?? memoryStorage()
    this.stopGraceMs = options.stopGraceMs ?? 10_000
    this.plugins = options.plugins ?? []
    const concurrency = options.concurrency ?? 8
    const leaseMs = options.leaseMs ?? 30_000
    for (const provider of options.providers ?? []) this.addProvider(provider)
    this.dispatcher = options.dispatcher
    const store = new JobStore(this.storage)
    this.jobWorker = new LocalWorker({
      storage: this.storage,
      store,
      providers: this.registry,
      events: this,
      hooks: this.hooks,
      scheduler: new Scheduler({ concurrency, concurrencyKeys: options.concurrencyKeys ?? {} }),
      leaseMs,
      dispatcher: options.dispatcher,
      onError: (error, context) => this.reportError(error, context),
    })
    this.jobQueue = new JobQueue({
      storage: this.storage,
      store,
      worker: this.jobWorker,
      providers: this.registry,
      events: this,
      unavailableProviders: options.unavailableProviders,
      spansNodes: options.dispatcher !== undefined,
    })
    this.jobs = this.jobQueue
    this.workflowService = createWorkflowService(
      {
        jobs: this.jobQueue.forEngine,
        storage: this.storage,
        events: this,
        getAction: (provider, action) => this.getAction(provider, action),
        unavailableProviders: options.unavailableProviders,
        claims: claimsFor(this.storage, 'workflows'),
        leaseMs,
      },
      // Enough runs admitted to keep every job slot busy with one to spare each; more only
      // grows the machine's children, which xstate copies on every spawn.
      { admissionWindow: Math.max(16, 2 * concurrency), ...options.workflows },
    )
    this.workflows = this.workflowService.workflows
    this.checkpoints = this.workflowService.checkpoints
  }

  /** Undoes what operations did: everything completed after a checkpoint, or the listed operations. */
  rollback(request: Parameters<WorkflowService['rollback']>[0]): ReturnType<WorkflowService['rollback']> {
    return this.workflowService.rollback(request)
  }

  /** Totals, success rate, average durations and rollback statistics. */
  stats(): ReturnType<WorkflowService['stats']> {
    return this.workflowService.stats()
  }

  /** Registered providers by name, each with its validated configuration. */
  get providers(): ReadonlyMap<string, RegisteredProvider> {
    return this.registry
  }

  /** Routes added by plugins; `@provisio/http` mounts them. */
  get routes(): readonly PluginRoute[] {
    return this.pluginRoutes
  }

  /** Registers a provider; its configuration is validated now. A name can be registered once. */
  addProvider(provider: Provider<any>): this {
    if (this.registry.has(provider?.name)) throw new Error(`[provisio] [engine] provider "${provider.name}" is already registered`)
    this.registry.set(provider.name, registerProvider(provider, this.storage))
    return this
  }

  getAction(provider: string, action: string): ActionDefinition | undefined {
    return this.registry.get(provider)?.provider.actions[action]
  }

  /** Adds a hook; returns a function that removes it. */
  hook<K extends keyof EngineHooks>(name: K, fn: EngineHooks[K]): () => void {
    const set = this.hooks[name] as Set<EngineHooks[K]>
    set.add(fn)
    return () => set.delete(fn)
  }

  addRoute(route: PluginRoute): this {
    this.pluginRoutes.push(route)
    return this
  }

  /** Runs plugin setups, then loads unfinished jobs from storage and starts running queued work. */
  async start(): Promise<this> {
    if (this.state !== 'new') throw new EngineStateError(`[provisio] [engine] start() called on an engine that is ${this.state}`)
    this.state = 'starting'
    for (const plugin of this.plugins) {
      const teardown = await plugin.setup(this)
      if (typeof teardown === 'function') this.teardowns.push(teardown)
    }
    this.jobQueue.open()
    await this.jobWorker.start()
    await this.workflowService.resume()
    this.state = 'started'
    return this
  }

  /**
   * Stops taking work, lets running jobs finish for `graceMs` (default
   * `stopGraceMs`), cancels what is still running, and leaves queued jobs
   * pending in storage for the next start.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return
    this.state = 'stopping'
    // Workflows first: the jobs that stopping cancels must not be recorded as their operations' outcomes.
    await this.workflowService.stop()
    this.jobQueue.close()
    await this.jobWorker.stop(options.graceMs ?? this.stopGraceMs)
    for (const teardown of this.teardowns.reverse()) await teardown()
    this.state = 'stopped'
  }

  private reportError(error: unknown, context: string): void {
    const err = error instanceof Error ? error : new Error(String(error))
    if (this.listenerCount('engine:error') > 0) this.emit('engine:error', { error: err, context })
    else console.error(`[provisio] [engine] ${context}:`, err)
  }
}

/**
 * Creates an engine. Call `start()` before submitting work.
 *
 * ```ts
 * const engine = createEngine({ storage: fsStorage({ base: '.provisio' }), providers: [exec()] })
 * await engine.start()
 * const job = await engine.jobs.submit({ provider: 'exec', action: 'run', input: { command: 'echo hi' } })
 * ```
 */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options)
}
