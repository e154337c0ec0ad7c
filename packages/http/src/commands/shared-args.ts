import type { ArgsDef } from 'citty'

/** Options every command reading a data dir accepts. */
export const dataArgs = {
  config: { type: 'string', description: 'YAML configuration file (default ./provisio.yaml when present; env PROVISIO_CONFIG)', valueHint: 'file' },
  'data-dir': { type: 'string', description: 'Data directory (default .provisio; env PROVISIO_DATA_DIR)', valueHint: 'dir' },
  storage: { type: 'string', description: 'fs (default), memory or redis (env PROVISIO_STORAGE)', valueHint: 'fs|memory|redis' },
  'redis-url': { type: 'string', description: 'Redis URL when --storage redis (env PROVISIO_REDIS_URL)', valueHint: 'url' },
} as const satisfies ArgsDef

export function dataFlags(args: Record<string, unknown>): Record<string, unknown> {
  return { dataDir: args['data-dir'], storage: args.storage, redisUrl: args['redis-url'] }
}
