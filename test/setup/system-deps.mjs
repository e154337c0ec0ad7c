#!/usr/bin/env node
// Makes sure the system tools the tests run for real are installed: ansible-playbook
// (Debian package `ansible`, which also brings the vultr.cloud collection),
// redis-server, chromium (the tartvm page test drives it with playwright-core),
// python3-requests (004's Python SDK example) and openssh-server (the cloudlab SSH terminal
// tests run a real sshd). As root with apt-get it installs what is missing. Elsewhere (macOS, a non-root user) it says which tests will be skipped and why,
// and lets the rest run; under CI=true a missing tool stops the run, since CI must run every test.
import { execFileSync, spawnSync } from 'node:child_process'

const needed = [
  { command: 'ansible-playbook', pkg: 'ansible', tests: 'the ansible provider and the vultr.cloud collection tests' },
  { command: 'redis-server', pkg: 'redis-server', tests: 'the redis storage and multi-node tests' },
  { command: 'chromium', pkg: 'chromium', tests: 'the tartvm page test in a real browser' },
  // 004's Python SDK example runs as written: it imports requests.
  { command: 'python3', pkg: 'python3-requests', tests: "004's Python SDK example", check: '/usr/bin/python3 -c "import requests"' },
  // The cloudlab SSH terminal tests start a real sshd on a loopback port.
  { command: 'sshd', pkg: 'openssh-server', tests: 'the cloudlab SSH terminal tests', check: 'test -x /usr/sbin/sshd || command -v sshd' },
]

const succeeds = (script) => spawnSync('sh', ['-c', script], { stdio: 'ignore' }).status === 0
const has = (command) => succeeds(`command -v ${command}`)
const missing = needed.filter(({ command, check }) => !(check ? succeeds(check) : has(command)))
if (missing.length === 0) process.exit(0)

const packages = missing.map(({ pkg }) => pkg)
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot || !has('apt-get')) {
  const how = has('apt-get') ? `sudo ${command}` : `install ${packages.join(' and ')} (e.g. brew install ansible redis, or pipx install ansible)`
  if (process.env.CI === 'true') {
    console.error(`[provisio] CI=true: the tests need ${missing.map(({ command }) => command).join(' and ')}, which are missing. Install with:\n  ${how}`)
    process.exit(1)
  }
  for (const tool of missing) console.warn(`[provisio] ${tool.command} is not installed: skipping ${tool.tests}.`)
  console.warn(`[provisio] To run them too: ${how}`)
  process.exit(0)
}
console.log(`[provisio] installing ${packages.join(', ')} for the tests (${command})`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
