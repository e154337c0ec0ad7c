import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { definePlugin, defineWorkflowTemplate, NotFoundError, ValidationError } from '../../src'
import { startEngine } from '../helpers'

const echoAll = defineWorkflowTemplate({
  name: 'echo-all',
  description: 'One echo operation per line, in a chain',
  params: z.object({ lines: z.array(z.string().min(1)).min(1), prefix: z.string().default('') }).strict(),
  build: ({ lines, prefix }) => ({
    name: 'echo-all',
    labels: { template: 'echo-all' },
    operations: lines.map((line, index) => ({
      id: `echo-${index}`,
      provider: 'test',
      action: 'echo',
      input: { lines: [`${prefix}${line}`] },
      dependsOn: index === 0 ? [] : [`echo-${index - 1}`],
    })),
  }),
})

describe('workflow templates', () => {
  it('a plugin registers a template; submitting it validates params, builds and runs the workflow', async () => {
    const engine = await startEngine({ plugins: [definePlugin({ name: 'echoes', setup: (e) => void e.templates.register(echoAll) })] })
    expect(engine.templates.list()).toEqual([{ name: 'echo-all', description: 'One echo operation per line, in a chain' }])
    expect(engine.templates.get('echo-all')).toBe(echoAll)

    const submitted = await engine.templates.submit('echo-all', { lines: ['a', 'b'], prefix: '> ' })
    const done = await engine.workflows.wait(submitted.id)
    expect(done.status).toBe('completed')
    expect(done.labels).toEqual({ template: 'echo-all' })
    expect(done.operations.map((operation) => [operation.id, operation.dependsOn])).toEqual([
      ['echo-0', []],
      ['echo-1', ['echo-0']],
    ])
    const lines: string[] = []
    for await (const line of engine.jobs.output(done.operations[1].runs[0].jobId!)) lines.push(line.line)
    expect(lines).toEqual(['> b'])
  })

  it('bad parameters are a ValidationError naming each field, and nothing is submitted', async () => {
    const engine = await startEngine()
    engine.templates.register(echoAll)
    const error = await engine.templates.submit('echo-all', { lines: [], extra: true }).catch((caught) => caught)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['', 'lines'])
    expect((await engine.workflows.list()).total).toBe(0)
  })

  it('an unknown template is a NotFoundError; a name registers once', async () => {
    const engine = await startEngine()
    engine.templates.register(echoAll)
    await expect(engine.templates.submit('nope', {})).rejects.toBeInstanceOf(NotFoundError)
    expect(() => engine.templates.register(echoAll)).toThrow(/already registered/)
  })

  it('a built workflow that the engine refuses is refused as a whole', async () => {
    const engine = await startEngine()
    engine.templates.register(
      defineWorkflowTemplate({
        name: 'broken',
        params: z.object({}),
        build: async () => ({ name: 'broken', operations: [{ id: 'x', provider: 'test', action: 'missing' }] }),
      }),
    )
    await expect(engine.templates.submit('broken', {})).rejects.toThrow(/unknown provider or action "test.missing"/)
  })
})
