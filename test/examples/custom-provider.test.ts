import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tsProcessArgs } from '../helpers/ts-process'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('examples/custom-provider.ts', () => {
  it('registers a DNS provider through a plugin, runs jobs and rolls one back', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, tsProcessArgs(join(root, 'examples/custom-provider.ts')), {
      cwd: root,
      timeout: 30_000,
    })
    expect(stdout.trimEnd().split('\n')).toEqual([
      'record.create: completed',
      '  | created www.example.test A 203.0.113.10 (ttl 60)',
      'record.create: completed',
      '  | created mail.example.test TXT v=spf1 -all (ttl 3600)',
      'record.create: failed - [dns] www.example.test A already exists',
      'record.list: completed',
      'records: [{"zone":"example.test","name":"mail","type":"TXT","value":"v=spf1 -all","ttl":3600},{"zone":"example.test","name":"www","type":"A","value":"203.0.113.10","ttl":60}]',
      'record.create (undo): completed',
      '  | deleted www.example.test',
      'record.list: completed',
      'after undo: mail TXT',
    ])
  })
})
