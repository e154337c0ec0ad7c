export { defineWorkflowTemplate } from './define'
export { TemplateRegistry } from './registry'
export type { TemplateSummary, WorkflowTemplate } from './types'
