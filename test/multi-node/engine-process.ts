import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { Storage } from 'unstorage'
import { expect } from 'vitest'
import { createEngine } from '@provisio/engine'
import { takeoverProvider } from '../../packages/engine/test/fixtures/takeover-provider'
import { tempDir } from '../../packages/engine/test/helpers'
import { tsProcessArgs } from '../helpers/ts-process'

const engineChild = new URL('../../packages/engine/test/fixtures/engine-child.ts', import.meta.url).pathname

export interface EngineProcess {
  child: ChildProcessByStdio<null, Readable, null>
  /** Its next line of output; rejects when it exits before writing one. */
  nextLine(): Promise<string>
}

/** Spawns an engine process (`packages/engine/test/fixtures/engine-child.ts`). */
export function startEngineProcess(config: Record<string, unknown>): EngineProcess {
  const child = spawn(process.execPath, [...tsProcessArgs(engineChild), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiting.shift()
    if (waiter) waiter.resolve(line)
    else lines.push(line)
  })
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the engine process exited (${code}) before reporting`))
  })
  return {
    child,
    nextLine: () => {
      const line = lines.shift()
      if (line !== undefined) return Promise.resolve(line)
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error('the engine process exited before reporting'))
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }))
    },
  }
}

/** Kills an engine process with SIGKILL and resolves once it is gone. */
export async function killEngineProcess(child: ChildProcessByStdio<null, Readable, null>): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** The lines `takeoverProvider` appended to `<marks>/<name>`, each split into its fields (pid, then what the action wrote). */
export function marksOf(marks: string, name: string): string[][] {
  return readFileSync(join(marks, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
}

/**
 * An engine process on `storage` runs the takeover workflow (first → slow → last) and is killed
 * with SIGKILL while `slow` runs; an engine of this process on `survivorStorage` (the same
 * backend), running all along, takes the workflow over once its claim lapses and completes it
 * from its stored state: `first` is not run again, `slow` (idempotent) runs again.
 */
export async function expectKilledWorkflowContinued(storage: Record<string, unknown>, survivorStorage: Storage): Promise<void> {
  const marks = tempDir()
  const leaseMs = 1000
  const { child, nextLine } = startEngineProcess({ storage, leaseMs, marks, scenario: 'workflow' })
  const workflowId = await nextLine()
  const survivor = createEngine({ storage: survivorStorage, providers: [takeoverProvider(marks, 50)], leaseMs })
  await survivor.start()
  try {
    // Held by the live process: the survivor leaves it be.
    expect((await survivor.workflows.get(workflowId))?.status).toBe('running')
    await killEngineProcess(child)

    const done = await survivor.workflows.wait(workflowId)
    expect(done.status).toBe('completed')
    expect(done.operations.map((operation) => [operation.id, operation.status])).toEqual([
      ['first', 'completed'],
      ['slow', 'completed'],
      ['last', 'completed'],
    ])
    // `first` ran once, in the killed process; `slow` ran there, then again here (it is idempotent); `last` ran here.
    expect(marksOf(marks, 'first')).toEqual([[String(child.pid), '1']])
    expect(marksOf(marks, 'slow')).toEqual([
      [String(child.pid), '1'],
      [String(process.pid), '2'],
    ])
    expect(marksOf(marks, 'last')).toEqual([[String(process.pid), '1']])
    expect((await survivor.workflows.snapshots(workflowId)).map((snapshot) => snapshot.details.event)).toContain('workflow.resumed')
  } finally {
    await survivor.stop({ graceMs: 0 })
  }
}
