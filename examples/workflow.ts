// A three-step deploy as a workflow: network, then server, then app. The app's
// health check fails, so the workflow rolls back: the server, then the network,
// are undone in reverse order, each by its action's `undo`.
// Run: node --conditions=source --import tsx examples/workflow.ts
import { z } from 'zod'
import { createEngine, defineProvider } from '@provisio/engine'

// A stand-in cloud that keeps its resources in the provider's storage.
const cloud = defineProvider({
  name: 'cloud',
  actions: {
    'network.create': {
      input: z.object({ name: z.string(), cidr: z.string() }),
      run: async (ctx, input) => {
        await ctx.storage.setItem(`networks:${input.name}`, input.cidr)
        return { networkId: `net-${input.name}` }
      },
      undo: async (ctx, input) => ctx.storage.removeItem(`networks:${input.name}`),
    },
    'server.create': {
      input: z.object({ name: z.string(), plan: z.string(), network: z.string() }),
      run: async (ctx, input) => {
        await ctx.storage.setItem(`servers:${input.name}`, input.plan)
        return { serverId: `srv-${input.name}`, ip: '192.0.2.10' }
      },
      undo: async (ctx, input, result: { serverId: string }) => {
        ctx.log(`deleting ${result.serverId}`)
        await ctx.storage.removeItem(`servers:${input.name}`)
      },
    },
    'app.deploy': {
      input: z.object({ version: z.string(), server: z.string() }),
      run: async (ctx, input) => {
        ctx.log(`deploying ${input.version} to ${input.server}`)
        throw new Error(`health check of ${input.version} failed on ${input.server}`)
      },
    },
  },
})

const engine = createEngine({ providers: [cloud] })
await engine.start()
const { workflows } = engine

engine.on('workflow:operation', ({ operationId, status }) => console.log(`  ${operationId.padEnd(8)} ${status}`))
engine.on('workflow:status', ({ status }) => console.log(`workflow ${status}`))

const submitted = await workflows.submit({
  name: 'deploy_shop',
  version: '2.0.0',
  rollbackEnabled: true,
  operations: [
    { id: 'network', provider: 'cloud', action: 'network.create', input: { name: 'shop', cidr: '10.0.0.0/24' } },
    { id: 'server', provider: 'cloud', action: 'server.create', input: { name: 'web-01', plan: '1xCPU-2GB', network: 'shop' }, dependsOn: ['network'] },
    { id: 'app', provider: 'cloud', action: 'app.deploy', input: { version: '2.0.0', server: 'web-01' }, dependsOn: ['server'] },
  ],
})
const done = await workflows.wait(submitted.id)

console.log(`\nresult: ${done.status}`)
console.log(`error: ${done.error?.message}`)
const rollback = done.rollback!
console.log(`rollback: ${rollback.operationsExecuted} undone, ${rollback.operationsFailed} failed, not reversible: ${rollback.notReversible.length}`)
for (const operation of done.operations) {
  console.log(`  ${operation.id.padEnd(8)} ${operation.status}${operation.rolledBack ? ', rolled back' : ''}`)
}
const left = await engine.storage.getKeys('providers:cloud')
console.log(`resources left at the provider: ${left.length}`)
await engine.stop()
