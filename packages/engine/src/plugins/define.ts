import type { Plugin } from '../engine'

/**
 * Defines a plugin: code that runs once when the engine starts and extends it
 * through the engine's public API (providers, events, hooks, routes).
 *
 * ```ts
 * const audit = definePlugin({
 *   name: 'audit',
 *   setup(engine) {
 *     engine.on('job:status', (e) => console.log(e.id, e.status))
 *   },
 * })
 * ```
 */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin
}
