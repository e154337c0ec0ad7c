import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOrchestrator } from '../helpers'

describe('orchestrator GET /health', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  beforeAll(async () => {
    test = await startOrchestrator()
  })
  afterAll(() => test.close())

  it('answers without a token in 004 envelope', async () => {
    const answer = await test.orchestrator('GET', '/health')
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ success: true, data: 'Orchestrator is healthy' })
  })

  it('answers an unknown path with a 404 in the envelope', async () => {
    const answer = await test.orchestrator('GET', '/nope', { token: test.adminToken })
    expect(answer.status).toBe(404)
    expect(answer.body.success).toBe(false)
  })
})
