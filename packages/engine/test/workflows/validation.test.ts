import { afterEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/errors'
import { startHarness, type Harness } from './fixtures/steps'

let h: Harness
afterEach(() => h?.stop())

const step = (id: string, extra: Record<string, unknown> = {}) => ({ id, provider: 'steps', action: 'step', input: { name: id }, ...extra })

async function rejection(submission: unknown): Promise<ValidationError> {
  const error = await h.workflows.workflows.submit(submission as never).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(ValidationError)
  return error as ValidationError
}

describe('workflows: validation', () => {
  it('should reject duplicate ids and unknown dependencies, naming them, and store nothing', async () => {
    h = await startHarness()
    const error = await rejection({ name: 'w', operations: [step('a'), step('a'), step('b', { dependsOn: ['ghost'] })] })
    expect(error.issues).toEqual([
      { path: 'operations.1.id', message: 'duplicate id "a"' },
      { path: 'operations.2.dependsOn.0', message: '"b" depends on unknown id "ghost"' },
    ])
    expect((await h.workflows.workflows.list()).total).toBe(0)
    expect(await h.engine.storage.getKeys('workflows:')).toEqual([])
    expect((await h.engine.jobs.list()).total).toBe(0)
  })

  it("should check each operation's job options by the rules of jobs.submit, which does not check them again", async () => {
    h = await startHarness()
    const error = await rejection({
      name: 'w',
      labels: { '': 'x' },
      operations: [step('a', { retry: { attempts: 5000 } }), step('b', { timeoutMs: 0 }), step('c', { concurrencyKey: '' })],
    })
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'labels',
      'operations.0.retry.attempts',
      'operations.1.timeoutMs',
      'operations.2.concurrencyKey',
    ])
    expect((await h.engine.jobs.list()).total).toBe(0)
  })

  it('should print a cycle as its path', async () => {
    h = await startHarness()
    const error = await rejection({
      name: 'w',
      operations: [step('a', { dependsOn: ['c'] }), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['b'] }), step('d')],
    })
    expect(error.message).toContain('dependency cycle a -> b -> c -> a')
  })

  it('should report unknown actions and every bad input of every operation at once', async () => {
    h = await startHarness()
    const error = await rejection({
      name: 'w',
      operations: [
        { id: 'a', provider: 'steps', action: 'nope', input: {} },
        { id: 'b', provider: 'cloud', action: 'server.create', input: {} },
        { id: 'c', provider: 'steps', action: 'step', input: { name: 3 } },
        { id: 'd', provider: 'steps', action: 'step', input: { ms: -1 } },
        { id: 'e', provider: 'steps', action: 'step', input: { name: 'e', ms: 'x' }, items: [1, 2] },
      ],
    })
    const paths = error.issues.map((issue) => issue.path)
    expect(paths).toEqual([
      'operations.0.action',
      'operations.1.action',
      'operations.2.input.name',
      'operations.3.input.name',
      'operations.3.input.ms',
      'operations.4.input.ms',
    ])
    expect(error.issues[1].message).toContain('"cloud.server.create"')
  })

  it('should validate each batch item merged into the input', async () => {
    h = await startHarness()
    const error = await rejection({
      name: 'w',
      operations: [{ id: 'servers', provider: 'steps', action: 'step', input: {}, server_configs: [{ name: 'web-01' }, { name: 'web-02' }] }],
    })
    expect(error.issues.map((issue) => issue.path)).toEqual(['operations.0.input.name'])
  })

  it('should reject a malformed submission before looking at operations', async () => {
    h = await startHarness()
    const error = await rejection({ name: '', operations: [], parallelLimit: 0 })
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['name', 'operations', 'parallelLimit'])
  })
})
