import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { skipReason } from './helpers/system-tools'

const script = fileURLToPath(new URL('./setup/system-deps.mjs', import.meta.url))
// A PATH with none of the tools and no apt-get: a laptop without them.
const empty = mkdtempSync(join(tmpdir(), 'provisio-no-tools-'))
afterAll(() => rmSync(empty, { recursive: true, force: true }))

function systemDeps(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'CI'))
  return spawnSync(process.execPath, [script], { env: { ...clean, PATH: empty, ...env }, encoding: 'utf8' })
}

describe('tests that need system tools', () => {
  it('without the tools and outside CI, system-deps says what is skipped and why, and lets the run go on', () => {
    const run = systemDeps({})
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/ansible-playbook is not installed: skipping the ansible provider/)
    expect(run.stderr).toMatch(/redis-server is not installed: skipping the redis storage and multi-node tests/)
    expect(skipReason('redis-server', { PATH: empty })).toBe('redis-server is not installed; apt-get install -y redis-server (or brew install redis)')
  })

  it('under CI=true a missing tool fails the run instead of skipping', () => {
    const run = systemDeps({ CI: 'true' })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/CI=true: the tests need ansible-playbook and redis-server/)
    expect(skipReason('redis-server', { PATH: empty, CI: 'true' })).toBeUndefined()
  })

  it('with the tool on the PATH nothing is skipped', () => {
    const bin = join(empty, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'redis-server'), '#!/bin/sh\n', { mode: 0o755 })
    expect(skipReason('redis-server', { PATH: bin })).toBeUndefined()
    expect(skipReason('ansible-playbook', { PATH: bin })).toMatch(/^ansible-playbook is not installed/)
  })
})
