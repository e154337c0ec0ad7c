import { join } from 'node:path'
import { defineCommand, type ArgsDef } from 'citty'
import { consola } from 'consola'
import type { Identity } from '../identity'
import { loadServeConfigOrExit } from '../config/load'
import { surfaceNames } from '../surfaces'
import { provisioCommand } from './invocation'
import { dataArgs, dataFlags } from './shared-args'

const envName = (name: string) => name.toUpperCase().replaceAll('-', '_')

const surfaceArgs = Object.fromEntries(
  surfaceNames.flatMap((name) => [
    [`${name}-port`, { type: 'string', description: `Port of the ${name} surface (0 = any free port; env PROVISIO_${envName(name)}_PORT)`, valueHint: 'port' }],
    [
      `${name}-host`,
      { type: 'string', description: `Bind address of the ${name} surface (default --host; env PROVISIO_${envName(name)}_HOST)`, valueHint: 'address' },
    ],
  ]),
) as ArgsDef

export const serveCommand = defineCommand({
  meta: { name: 'serve', description: 'Serve the API surfaces, each on its own port' },
  args: {
    ...dataArgs,
    host: { type: 'string', description: 'Bind address (default 127.0.0.1; env PROVISIO_HOST)', valueHint: 'address' },
    surfaces: {
      type: 'string',
      description: `Comma-separated surfaces to serve (default all: ${surfaceNames.join(', ')}; env PROVISIO_SURFACES)`,
      valueHint: 'a,b',
    },
    sandbox: {
      type: 'boolean',
      description:
        'Run providers without credentials against local stand-ins, creating nothing real (env PROVISIO_SANDBOX=true); without it they are unavailable',
    },
    'trust-proxy': {
      type: 'string',
      description:
        'Believe X-Forwarded-For/Forwarded from this many proxy hops, or from these comma-separated proxy addresses/CIDRs (env PROVISIO_TRUST_PROXY)',
      valueHint: 'hops|cidrs',
    },
    ...surfaceArgs,
    'tartvm-ui': {
      type: 'string',
      description: 'A checkout of de taartenfabriek whose web page the tartvm surface serves at / (env PROVISIO_TARTVM_UI)',
      valueHint: 'dir',
    },
    'tartvm-token-file': {
      type: 'string',
      description: 'The tartvm X-Local-Token file (default <data-dir>/tartvm/token; env PROVISIO_TARTVM_TOKEN_FILE)',
      valueHint: 'file',
    },
    'cloudlab-services-dir': {
      type: 'string',
      description: "An existing CloudLab Manager's services/ folder, used as it is (default <data-dir>/cloudlab/services; env PROVISIO_CLOUDLAB_SERVICES_DIR)",
      valueHint: 'dir',
    },
    'cloudlab-inventory-types-dir': {
      type: 'string',
      description:
        "An existing CloudLab Manager's inventory_types/ folder (default <data-dir>/cloudlab/inventory_types; env PROVISIO_CLOUDLAB_INVENTORY_TYPES_DIR)",
      valueHint: 'dir',
    },
    'cloudlab-ui': {
      type: 'string',
      description: 'A built CloudLab Manager frontend (frontend/dist) served at / by the cloudlab surface (env PROVISIO_CLOUDLAB_UI)',
      valueHint: 'dir',
    },
    'cloudlab-public-url': {
      type: 'string',
      description: 'Where users reach the CloudLab UI, for links in invite and reset mails (env PROVISIO_CLOUDLAB_PUBLIC_URL)',
      valueHint: 'url',
    },
  },
  async run({ args }) {
    const flags: Record<string, unknown> = {
      ...dataFlags(args),
      host: args.host,
      surfaces: args.surfaces,
      sandbox: args.sandbox,
      trustProxy: args['trust-proxy'],
      'tartvm.ui': args['tartvm-ui'],
      'tartvm.tokenFile': args['tartvm-token-file'],
      'cloudlab.servicesDir': args['cloudlab-services-dir'],
      'cloudlab.inventoryTypesDir': args['cloudlab-inventory-types-dir'],
      'cloudlab.ui': args['cloudlab-ui'],
      'cloudlab.publicUrl': args['cloudlab-public-url'],
    }
    for (const name of surfaceNames) {
      flags[`ports.${name}`] = args[`${name}-port`]
      flags[`hosts.${name}`] = args[`${name}-host`]
    }
    const { config, file } = loadServeConfigOrExit({ configPath: args.config as string | undefined, flags }, (message) => consola.error(message))
    if (file) consola.info(`Configuration: ${file}`)

    // The server's modules load once the configuration is known to be good.
    const [
      { createEngine },
      { joinCluster, webhooks },
      { createServer, surfaceAddresses },
      { openIdentity },
      { resolveProviders },
      { createConfiguredStorage },
      { createConfiguredDispatcher },
      { storageDamageMessage },
      { workspaces },
      { serveSurfaces, tartvmBanner },
      { assertPortsFree },
      { startPeriodicWork },
      { version },
    ] = await Promise.all([
      import('@provisio/engine'),
      import('@provisio/plugins'),
      import('../server'),
      import('../runtime/identity'),
      import('../runtime/providers'),
      import('../runtime/storage'),
      import('../runtime/dispatcher'),
      import('./storage'),
      import('../workspaces'),
      import('../runtime/tartvm'),
      import('../runtime/ports'),
      import('../runtime/periodic'),
      import('../version'),
    ])

    // Nothing is written (data dir, key, tartvm token) until every port is known to be free.
    await assertPortsFree(
      surfaceAddresses({
        surfaces: config.surfaces,
        host: config.host,
        ports: config.ports as Record<string, number>,
        hosts: config.hosts as Record<string, string>,
      }),
    )
    const storage = await createConfiguredStorage(config).catch((error: unknown) => {
      const damaged = storageDamageMessage(error, config.dataDir)
      if (!damaged) throw error
      consola.error(damaged)
      process.exit(1)
    })
    const { identity, keyPath, keyCreated } = openIdentity(storage, config)
    if (keyCreated) consola.info(`Created the JWT signing key ${keyPath} (mode 0600)`)

    if (config.sandbox) consola.warn('Sandbox mode (--sandbox): providers without credentials run against local stand-ins; nothing real is created.')
    const sandbox = await resolveProviders({ dataDir: config.dataDir, sandbox: config.sandbox })
    const webhookEndpoints = config.webhooks?.enabled ? config.webhooks.endpoints : []
    const workspacesRoot = join(config.dataDir, 'workspaces')
    const plugins = [workspaces({ root: workspacesRoot })]
    // Registered before the engine resumes queued jobs, so a deploy queued before a restart runs after it.
    if ((config.surfaces ?? surfaceNames).includes('cloudlab')) plugins.push((await import('../surfaces/cloudlab/operations')).cloudlabJobs())
    if (webhookEndpoints.length)
      plugins.push(webhooks({ endpoints: webhookEndpoints as Parameters<typeof webhooks>[0]['endpoints'], pendingSweepMs: config.webhooks?.pendingSweepMs }))
    const engine = createEngine({
      storage,
      dispatcher: await createConfiguredDispatcher(config),
      providers: sandbox.providers,
      unavailableProviders: sandbox.unavailable,
      plugins,
      stopGraceMs: config.shutdownGraceMs,
    })
    await engine.start()

    await ensureFirstAdmin(identity, (config.surfaces ?? surfaceNames).includes('cloudlab'))

    const served = serveSurfaces(config)
    const node = joinCluster(storage, {
      id: config.cluster.nodeId,
      heartbeatMs: config.cluster.heartbeatMs,
      surfaces: [...(config.surfaces ?? surfaceNames)],
      version,
      onError: (error) => consola.warn(`cluster: heartbeat not written: ${(error as Error).message}`),
    })
    const stopPeriodic = startPeriodicWork(storage, identity)
    const server = await createServer({
      cluster: node,
      engine,
      identity,
      surfaces: served.surfaces,
      host: config.host,
      ports: config.ports as Record<string, number>,
      hosts: config.hosts as Record<string, string>,
      rateLimits: config.rateLimits,
      cors: config.cors,
      trustProxy: config.trustProxy,
      providers: sandbox.statuses,
      dataDir: config.dataDir,
      workspacesRoot,
    })
    // Installed before the lines that say the server is up: a signal sent on seeing them stops it gracefully.
    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) {
        consola.warn(`${signal} again: exiting at once`)
        process.exit(1)
      }
      stopping = true
      consola.info(`${signal}: no longer accepting connections; letting running work finish (up to ${config.shutdownGraceMs} ms)`)
      const force = setTimeout(() => void server.close({ force: true }), config.shutdownGraceMs)
      await server.close()
      clearTimeout(force)
      stopPeriodic()
      await engine.stop({ graceMs: config.shutdownGraceMs })
      // Out of the node list at once, not a TTL later.
      await node.leave()
      await sandbox.close()
      await storage.dispose()
      consola.info('Stopped')
      process.exit(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    for (const surface of server.surfaces) console.log(`${surface.name.padEnd(15)} ${surface.url}  (docs ${surface.url}/docs)`)
    if (webhookEndpoints.length) consola.info(`Webhooks: ${webhookEndpoints.map((endpoint) => endpoint.url).join(', ')}`)
    if (served.tartvm) for (const line of tartvmBanner(server.url('tartvm'), served.tartvm, sandbox.statuses)) consola.info(line)
    if (server.surfaces.some((surface) => surface.name === 'cloudlab')) {
      const url = server.url('cloudlab')
      consola.info(
        config.cloudlab.ui
          ? `cloudlab: CloudLab Manager UI at ${url}/`
          : `cloudlab: API at ${url}/api (no UI: --cloudlab-ui <CloudLab Manager frontend/dist> serves it)`,
      )
    }
    for (const provider of sandbox.statuses) {
      if (provider.mode === 'sandbox')
        consola.warn(
          `SANDBOX MODE: ${provider.name} has no credentials and runs against a local stand-in at ${provider.endpoint}; nothing is created at ${provider.name}.`,
        )
      else if (provider.mode === 'unavailable') consola.warn(`${provider.name}: unavailable (${provider.reason})`)
      else consola.info(`${provider.name}: live`)
    }
  },
})

/**
 * `PROVISIO_ADMIN_PASSWORD` creates the first administrator; without it and without users, say how
 * to make one (CloudLab's first-run setup page is one way when that surface is served).
 */
async function ensureFirstAdmin(identity: Identity, cloudlabSetup: boolean): Promise<void> {
  const password = process.env.PROVISIO_ADMIN_PASSWORD
  if (password) {
    const username = process.env.PROVISIO_ADMIN_USERNAME || 'admin'
    const created = await identity.bootstrapAdmin({ username, password })
    if (created) consola.success(`Created the first administrator "${created.username}" from PROVISIO_ADMIN_PASSWORD`)
    return
  }
  if ((await identity.users.count()) === 0) {
    consola.warn(
      'No users yet. Restart with PROVISIO_ADMIN_PASSWORD (and PROVISIO_ADMIN_USERNAME, default admin), ' +
        `or stop the server and create the first administrator with \`${provisioCommand()} users add admin --role admin --password-stdin\`` +
        (cloudlabSetup ? ', or run first-run setup on the cloudlab surface (POST /api/auth/setup, or its UI).' : '.'),
    )
  }
}
