import type { z } from 'zod'
import type { TemplateContext } from '../engine'
import type { WorkflowSubmission } from '../workflows/types'

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
