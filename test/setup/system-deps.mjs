#!/usr/bin/env node
// Makes sure the system tools the tests run for real are installed: ansible-playbook
// (Debian package `ansible`, which also brings the vultr.cloud collection),
// redis-server, chromium (the tartvm page test drives it with playwright-core) and
// python3-requests (004's Python SDK example).
// As root with apt-get it installs what is missing; otherwise it stops with the
// exact command to type.
import { execFileSync, spawnSync } from 'node:child_process'

const needed = [
  { command: 'ansible-playbook', pkg: 'ansible' },
  { command: 'redis-server', pkg: 'redis-server' },
  { command: 'chromium', pkg: 'chromium' },
  // 004's Python SDK example runs as written: it imports requests.
  { command: 'python3', pkg: 'python3-requests', check: '/usr/bin/python3 -c "import requests"' },
]

const succeeds = (script) => spawnSync('sh', ['-c', script], { stdio: 'ignore' }).status === 0
const missing = needed.filter(({ command, check }) => !succeeds(check ?? `command -v ${command}`))
if (missing.length === 0) process.exit(0)

const packages = missing.map(({ pkg }) => pkg)
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot || !succeeds('command -v apt-get')) {
  console.error(`[provisio] the tests need ${missing.map(({ command }) => command).join(' and ')}. Install with:\n  sudo ${command}`)
  process.exit(1)
}
console.log(`[provisio] installing ${packages.join(', ')} for the tests (${command})`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
