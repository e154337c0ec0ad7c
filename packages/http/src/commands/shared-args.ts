import type { ArgsDef } from 'citty'

/** Options every command reading a data dir accepts. */
export const dataArgs = {
  config: { type: 'string', description: 'YAML configuration file (default ./provisio.yaml when present; env PROVISIO_CONFIG)', valueHint: 'file' },
  'data-dir': { type: 'string', description: 'Data directory (default .provisio; env PROVISIO_DATA_DIR)', valueHint: 'dir' },
  storage: { type: 'string', description: 'fs (default), memory or redis (env PROVISIO_STORAGE)', valueHint: 'fs|memory|redis' },
  'redis-url': { type: 'string', description: 'Redis URL when --storage redis (env PROVISIO_REDIS_URL)', valueHint: 'url' },
  'signing-key-file': {
    type: 'string',
    description:
      'A file holding the JWT signing key, base64 of 32+ bytes, the same on every node (env PROVISIO_SIGNING_KEY_FILE, or the key itself in PROVISIO_SIGNING_KEY)',
    valueHint: 'file',
  },
} as const satisfies ArgsDef

export function dataFlags(args: Record<string, unknown>): Record<string, unknown> {
  return { dataDir: args['data-dir'], storage: args.storage, redisUrl: args['redis-url'], signingKeyFile: args['signing-key-file'] }
}
