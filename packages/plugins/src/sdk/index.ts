// What the engine already offers to plugin and provider authors, from one place.
export { definePlugin, defineProvider } from '@provisio/engine'
export type { ActionContext, ActionDefinition, Plugin, PluginRoute, Provider, ProviderDefinition } from '@provisio/engine'

export { createTestContext } from './context'
export type { TestContext, TestContextOptions } from './context'
export { runAction } from './run-action'
export type { RunActionOptions, RunActionResult } from './run-action'
