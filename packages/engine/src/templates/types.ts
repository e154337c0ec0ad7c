import type { z } from 'zod'
import type { Engine } from '../engine'
import type { WorkflowSubmission } from '../workflows/types'

/** What a template's `build` receives besides its validated parameters. */
export interface TemplateContext {
  engine: Engine
}

/**
 * A named recipe for a workflow: parameters checked by a zod schema, turned into a
 * `WorkflowSubmission` by `build`. Plugins register templates; surfaces submit them by name.
 */
export interface WorkflowTemplate<Params extends z.ZodType = z.ZodType> {
  name: string
  /** One line for listings and docs. */
  description?: string
  params: Params
  build: (params: z.output<Params>, ctx: TemplateContext) => WorkflowSubmission | Promise<WorkflowSubmission>
}

/** A template as listed: what it is called and what it does. */
export interface TemplateSummary {
  name: string
  description?: string
}
