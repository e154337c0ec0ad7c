import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tsProcessArgs } from '../helpers/ts-process'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('examples/plugin.ts', () => {
  it('delivers signed webhooks to a real receiver, retries a 503 and serves metrics', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, tsProcessArgs(fileURLToPath(new URL('../../examples/plugin.ts', import.meta.url))), {
      cwd: root,
      timeout: 30_000,
    })
    expect(stdout.trimEnd().split('\n')).toEqual([
      'jobs:',
      '  web-01: completed',
      '  web-02: failed (no 500 GB disk left for web-02)',
      'webhooks received:',
      '  task.completed (signature valid) answered 503: servers/create output "creating web-01\\nweb-01 is up"',
      '  task.completed (signature valid) answered 204: servers/create output "creating web-01\\nweb-01 is up"',
      '  task.failed (signature valid) answered 204: servers/create error "no 500 GB disk left for web-02"',
      'metrics:',
      '  orchestrator_tasks_total{status="completed"} 1',
      '  orchestrator_tasks_total{status="failed"} 1',
      '  orchestrator_task_duration_seconds_bucket{le="10"} 2',
      '  orchestrator_task_duration_seconds_bucket{le="30"} 2',
      '  orchestrator_task_duration_seconds_bucket{le="+Inf"} 2',
      '  orchestrator_task_duration_seconds_count 2',
    ])
  })
})
