#!/usr/bin/env node
// Makes sure the system tools the tests run for real are installed: ansible-playbook
// (Debian package `ansible`, which also brings the vultr.cloud collection),
// redis-server and chromium (the tartvm page test drives it with playwright-core).
// As root with apt-get it installs what is missing; otherwise it stops with the
// exact command to type.
import { execFileSync, spawnSync } from 'node:child_process'

const needed = [
  { command: 'ansible-playbook', pkg: 'ansible' },
  { command: 'redis-server', pkg: 'redis-server' },
  { command: 'chromium', pkg: 'chromium' },
]

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
const missing = needed.filter(({ command }) => !has(command))
if (missing.length === 0) process.exit(0)

const packages = missing.map(({ pkg }) => pkg)
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot || !has('apt-get')) {
  console.error(`[provisio] the tests need ${missing.map(({ command }) => command).join(' and ')}. Install with:\n  sudo ${command}`)
  process.exit(1)
}
console.log(`[provisio] installing ${packages.join(', ')} for the tests (${command})`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
