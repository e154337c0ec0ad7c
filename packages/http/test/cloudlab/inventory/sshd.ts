import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'

export interface Sshd {
  port: number
  user: string
  /** The client's private key, authorised for `user`. */
  clientKey: string
  stop: () => Promise<void>
}

const sshdBinary = () => (existsSync('/usr/sbin/sshd') ? '/usr/sbin/sshd' : 'sshd')

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort(port: number, process: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (process.exitCode !== null) throw new Error(`sshd exited with ${process.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * A real OpenSSH server on a loopback port, run as the current user (`-D -f config`) with a
 * throwaway host key, and one throwaway client key authorised for that user. Everything lives
 * in `dir`.
 */
export async function startSshd(dir: string): Promise<Sshd> {
  const hostKey = join(dir, 'host_ed25519')
  const clientKey = join(dir, 'client_ed25519')
  for (const key of [hostKey, clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'provisio-test', '-f', key])
  await writeFile(join(dir, 'authorized_keys'), execFileSync('cat', [`${clientKey}.pub`]))
  // Run as root, sshd wants its privilege separation directory (the package makes it at boot).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 })
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      // An interactive login shell reads the account's start-up files, which take seconds on some
      // machines; a plain interactive sh keeps the terminal under test the same and starts at once.
      'ForceCommand /bin/sh -i',
      'LogLevel ERROR',
      'UseDNS no',
      'PrintLastLog no',
      'PrintMotd no',
      '',
    ].join('\n'),
  )
  const child = spawn(sshdBinary(), ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)))
  try {
    await waitForPort(port, child, 10_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}: ${stderr}`)
  }
  return {
    port,
    user: userInfo().username,
    clientKey,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
