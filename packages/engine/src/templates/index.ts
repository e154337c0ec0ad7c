export { defineWorkflowTemplate } from './define'
export { TemplateRegistry } from './registry'
export type { TemplateContext, TemplateSummary, WorkflowTemplate } from './types'
