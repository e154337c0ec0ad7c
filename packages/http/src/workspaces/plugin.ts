import { definePlugin, type Plugin } from '@provisio/engine'
import { workspaceProvider } from './provider'
import { workspaceTemplates } from './templates'
import { createWorkspaces } from './workspaces'

/**
 * Workspaces for an engine: the `workspace` provider (plan, claim, record, inventory) and the workflow
 * templates `workspace.servers`, `workspace.taskserv`, `cluster.buildkit` and `cluster.kubernetes`.
 *
 * ```ts
 * const engine = createEngine({ storage, providers: [vultr({ apiKey }), ansible()], plugins: [workspaces({ root: '.provisio/workspaces' })] })
 * await engine.start()
 * await engine.templates.submit('workspace.servers', { infra: 'production', settings: 'settings.yaml' })
 * ```
 */
export function workspaces(options: { root: string }): Plugin {
  return definePlugin({
    name: 'workspaces',
    setup(engine) {
      const model = createWorkspaces({ root: options.root, storage: engine.storage })
      engine.addProvider(workspaceProvider(engine, model))
      for (const template of workspaceTemplates(model)) engine.templates.register(template)
    },
  })
}
