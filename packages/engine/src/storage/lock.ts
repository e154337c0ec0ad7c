import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DataDirectoryLockedError } from '../errors'

export const LOCK_FILE = 'LOCK'

interface Holder {
  pid: number
  /** The process's start time from /proc (Linux), which tells a live holder from a new process that got a dead holder's pid. */
  started: string
}

/** The start time of a process in clock ticks since boot, or '' where /proc does not say. */
function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    return ''
  }
}

const self: Holder = { pid: process.pid, started: startTimeOf(process.pid) }

function isAlive(holder: Holder): boolean {
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false
  // Same pid, other start: a previous process that had ours (a restarted container's pid 1).
  if (holder.pid === self.pid) return holder.started === self.started
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const started = startTimeOf(holder.pid)
  return !holder.started || !started || holder.started === started
}

const parse = (text: string): Holder => {
  const [pid, started = ''] = text.split('\n')
  return { pid: Number(pid), started }
}
const format = (holder: Holder) => `${holder.pid}\n${holder.started}\n`

export interface DirectoryLock {
  release(): void
}

/**
 * Takes the `LOCK` file of a data directory for this process: two processes
 * appending to one log would corrupt it. A lock whose process is gone (killed,
 * crashed) is stale and taken over.
 */
export function lockDirectory(dir: string): DirectoryLock {
  const path = join(dir, LOCK_FILE)
  const content = format(self)
  for (let attempt = 0; ; attempt++) {
    // Written aside and linked into place, so that the lock never exists without its content.
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
    writeFileSync(temp, content)
    try {
      linkSync(temp, path)
      return {
        release() {
          if (readLock(path) === content) unlinkSync(path)
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      unlinkSync(temp)
    }
    const text = readLock(path)
    if (text === undefined) continue
    const holder = parse(text)
    if (isAlive(holder) || attempt >= 3) {
      throw new DataDirectoryLockedError(
        holder.pid === self.pid
          ? `[provisio] [fs-storage] ${dir} is already open in this process (pid ${holder.pid}): dispose() the storage that has it open before opening it again`
          : `[provisio] [fs-storage] ${dir} is in use by process ${holder.pid} (lock file ${path}): only one process at a time may open a data directory`,
        dir,
        holder.pid,
      )
    }
    rmSync(path, { force: true })
  }
}

/** The pid of the live process that has `dir` open, if any. */
export function lockHolder(dir: string): number | undefined {
  const text = readLock(join(dir, LOCK_FILE))
  if (text === undefined) return undefined
  const holder = parse(text)
  return isAlive(holder) ? holder.pid : undefined
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
