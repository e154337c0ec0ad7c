import { createServer } from 'node:net'
import { CommandError } from '../commands/runner'
import type { SurfaceAddress } from '../server'

function probe({ host, port }: SurfaceAddress): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error) => resolve(error))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/**
 * Fails with one line per taken port before the server writes anything, so a second `provisio
 * serve` on the same ports leaves no trace. Port 0 (any free port) is always free.
 */
export async function assertPortsFree(addresses: SurfaceAddress[]): Promise<void> {
  const problems: string[] = []
  for (const address of addresses) {
    if (address.port === 0) continue
    const error = await probe(address)
    if (!error) continue
    const flag = `--${address.name}-port`
    if (error.code === 'EADDRINUSE')
      problems.push(`port ${address.port} on ${address.host} (${address.name}) is already in use: stop what listens there or choose another with ${flag}`)
    else if (error.code === 'EACCES')
      problems.push(`port ${address.port} on ${address.host} (${address.name}) needs privileges: choose a port above 1023 with ${flag}`)
    else if (error.code === 'EADDRNOTAVAIL')
      problems.push(`address ${address.host} (${address.name}) is not an address of this machine: choose another with --host or --${address.name}-host`)
    else problems.push(`cannot listen on ${address.host}:${address.port} (${address.name}): ${error.message}`)
  }
  if (problems.length > 0) throw new CommandError(problems.join('\n'))
}
