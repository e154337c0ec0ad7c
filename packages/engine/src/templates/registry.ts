import type { Engine } from '../engine'
import { NotFoundError, ValidationError } from '../errors'
import type { WorkflowRecord } from '../workflows/types'
import type { TemplateSummary, WorkflowTemplate } from './types'

/** The engine's workflow templates by name (`engine.templates`); plugins register them in `setup`. */
export class TemplateRegistry {
  private readonly templates = new Map<string, WorkflowTemplate<any>>()

  constructor(private readonly engine: Engine) {}

  /** Adds a template; a name can be registered once. */
  register(template: WorkflowTemplate<any>): this {
    if (!template?.name || typeof template.build !== 'function' || !template.params) {
      throw new TypeError('[provisio] [engine] a workflow template needs a `name`, `params` and `build`: define it with defineWorkflowTemplate()')
    }
    if (this.templates.has(template.name)) throw new Error(`[provisio] [engine] workflow template "${template.name}" is already registered`)
    this.templates.set(template.name, template)
    return this
  }

  get(name: string): WorkflowTemplate<any> | undefined {
    return this.templates.get(name)
  }

  /** Every template, sorted by name. */
  list(): TemplateSummary[] {
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
    if (!template) throw new NotFoundError(`[provisio] [engine] no workflow template "${name}" (registered: ${[...this.templates.keys()].join(', ') || 'none'})`)
    const parsed = template.params.safeParse(params)
    if (!parsed.success) throw ValidationError.fromZod(`invalid parameters of workflow template "${name}"`, parsed.error)
    const submission = await template.build(parsed.data, { engine: this.engine })
    return this.engine.workflows.submit(submission)
  }
}
