import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { JobClaims } from '../../src/jobs/claims'

/** What every claims primitive must do; run against each backend. */
export function claimsContract(name: string, make: () => JobClaims | Promise<JobClaims>) {
  describe(`claims: ${name}`, () => {
    it('gives a job to one owner at a time, until its lease lapses or it is released', async () => {
      const claims = await make()
      const job = `job-${Math.random()}`
      expect(await claims.acquire(job, 'a/1/x', 200)).toBe(true)
      expect(await claims.acquire(job, 'b/1/y', 200)).toBe(false)
      expect(await claims.renew(job, 'b/1/y', 200)).toBe(false)
      expect(await claims.renew(job, 'a/1/x', 200)).toBe(true)
      await claims.release(job, 'b/1/y')
      expect(await claims.acquire(job, 'b/1/y', 200)).toBe(false)
      await sleep(250)
      expect(await claims.acquire(job, 'b/1/y', 200)).toBe(true)
      expect(await claims.renew(job, 'a/1/x', 200)).toBe(false)
      await claims.release(job, 'b/1/y')
      expect(await claims.acquire(job, 'a/1/x', 200)).toBe(true)
    })
  })
}
