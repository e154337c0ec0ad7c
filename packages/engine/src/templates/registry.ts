import type { z } from 'zod'
import { NotFoundError, ValidationError } from '../errors'
import type { WorkflowRecord, WorkflowSubmission } from '../workflows/types'

/**
 * A template as the registry keeps it: `WorkflowTemplate` (./types), whose
 * build context is the engine's `TemplateContext`, spelled out here over the
 * context so that the registry, which the engine creates, needs nothing of the engine.
 */
export interface RegisteredTemplate<Context> {
  name: string
  description?: string
  params: z.ZodType
  build(params: any, ctx: Context): WorkflowSubmission | Promise<WorkflowSubmission>
}

/** The engine's workflow templates by name (`engine.templates`); plugins register them in `setup`. */
export class TemplateRegistry<Context = unknown> {
  private readonly templates = new Map<string, RegisteredTemplate<Context>>()

  /** `submit` submits a built workflow; `context` is what each `build` receives besides its parameters. */
  constructor(
    private readonly submitBuilt: (submission: WorkflowSubmission) => Promise<WorkflowRecord>,
    private readonly context: Context,
  ) {}

  /** Adds a template; a name can be registered once. */
  register(template: RegisteredTemplate<Context>): this {
    if (!template?.name || typeof template.build !== 'function' || !template.params) {
      throw new TypeError('[provisio] [engine] a workflow template needs a `name`, `params` and `build`: define it with defineWorkflowTemplate()')
    }
    if (this.templates.has(template.name)) throw new Error(`[provisio] [engine] workflow template "${template.name}" is already registered`)
    this.templates.set(template.name, template)
    return this
  }

  get(name: string): RegisteredTemplate<Context> | undefined {
    return this.templates.get(name)
  }

  /** Every template, sorted by name. */
  list(): { name: string; description?: string }[] {
    return [...this.templates.values()]
      .map(({ name, description }) => (description === undefined ? { name } : { name, description }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Validates the parameters against the template's schema (`ValidationError` listing every
   * issue, nothing submitted), builds the workflow and submits it like `engine.workflows.submit`.
   */
  async submit(name: string, params: unknown): Promise<WorkflowRecord> {
    const template = this.templates.get(name)
    if (!template)
      throw new NotFoundError(`[provisio] [engine] no workflow template "${name}" (registered: ${[...this.templates.keys()].join(', ') || 'none'})`)
    const parsed = template.params.safeParse(params)
    if (!parsed.success) throw ValidationError.fromZod(`invalid parameters of workflow template "${name}"`, parsed.error)
    const submission = await template.build(parsed.data, this.context)
    return this.submitBuilt(submission)
  }
}
