import { spawnSync } from 'node:child_process'
import { describe } from 'vitest'

/** The system tools some tests run for real, and how to install them (test/setup/system-deps.mjs installs them as root). */
export const systemTools = {
  'ansible-playbook': 'apt-get install -y ansible (or pipx install ansible)',
  'redis-server': 'apt-get install -y redis-server (or brew install redis)',
  chromium: 'apt-get install -y chromium',
  'python3-requests': 'apt-get install -y python3-requests',
  sshd: 'apt-get install -y openssh-server',
} as const

/** How to tell that a tool is there, when it is not a command of that name. */
const checks: Partial<Record<keyof typeof systemTools, string>> = {
  'python3-requests': '/usr/bin/python3 -c "import requests"',
  // Debian keeps sshd in /usr/sbin, outside a normal user's PATH.
  sshd: 'test -x /usr/sbin/sshd || command -v sshd',
}

export type SystemTool = keyof typeof systemTools

/**
 * Why tests needing `command` are skipped here, or nothing when they run: they run when the
 * tool is installed, and under `CI=true` also when it is not (and fail), because CI installs
 * everything and a skip there would hide a broken setup.
 */
export function skipReason(command: SystemTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CI === 'true') return undefined
  const installed = spawnSync('/bin/sh', ['-c', checks[command] ?? `command -v ${command}`], { stdio: 'ignore', env }).status === 0
  return installed ? undefined : `${command} is not installed; ${systemTools[command]}`
}

/** `describe` for tests that need a system tool: skipped, with the reason in their name, where `skipReason` says so. */
export function describeWithTool(command: SystemTool): typeof describe {
  const reason = skipReason(command)
  if (!reason) return describe
  return ((name: string, ...rest: unknown[]) => (describe.skip as (...args: unknown[]) => void)(`${name} [skipped: ${reason}]`, ...rest)) as typeof describe
}
