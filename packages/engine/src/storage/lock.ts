import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DataDirectoryLockedError } from '../errors'

/** The lock of a data directory: held for good by an exclusive opener, and by a shared opener while it opens. */
export const LOCK_FILE = 'LOCK'
/** One file per process that has the directory open shared, named by its pid. */
export const HOLDERS_DIR = 'holders'

/** How long a shared opener waits for another process to finish opening the directory. */
const OPEN_WAIT_MS = 10_000
const OPEN_POLL_MS = 10

interface Holder {
  pid: number
  /** The process's start time from /proc (Linux), which tells a live holder from a new process that got a dead holder's pid. */
  started: string
  /** `opening`: a shared opener holds the lock for as long as it opens the directory; else an exclusive one holds it. */
  opening: boolean
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

const self = { pid: process.pid, started: startTimeOf(process.pid) }

function isAlive(holder: Pick<Holder, 'pid' | 'started'>): boolean {
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
  const [pid, started = '', mode = ''] = text.split('\n')
  return { pid: Number(pid), started, opening: mode === 'opening' }
}
const format = (opening: boolean) => `${self.pid}\n${self.started}\n${opening ? 'opening\n' : ''}`

export interface DirectoryLock {
  /**
   * The other live processes that have the directory open (shared): its
   * files are in use, so they may change while they are read outside LMDB.
   */
  readonly othersOpen: readonly number[]
  /** A shared opener has opened the store: it is registered as a holder and lets the next opener in. */
  opened(): void
  release(): void
}

/**
 * Locks a data directory for this process as it opens it.
 *
 * - Exclusive (the default): the directory is this process's alone until
 *   `release()`, as long as it holds the `LOCK` file. Commands that change
 *   the stored data directly, beside a server's state in memory, rely on it.
 * - Shared: any number of processes that all open it shared. Each takes the
 *   `LOCK` file only while it opens the directory (so that the first one
 *   checks the files before anyone writes them), then registers itself under
 *   `holders/`; LMDB keeps their writes apart.
 *
 * Either way a second open in one process is refused: LMDB must not have one
 * environment open twice in a process (closing one drops the other's locks).
 * A lock or registration whose process is gone (killed, crashed) is taken over.
 */
export function lockDirectory(dir: string, options: { shared?: boolean } = {}): DirectoryLock {
  const shared = options.shared === true
  const path = join(dir, LOCK_FILE)
  const content = format(shared)
  const deadline = Date.now() + OPEN_WAIT_MS
  for (let attempt = 0; ; attempt++) {
    if (takeFile(path, content)) break
    const text = readLock(path)
    if (text === undefined) continue
    const holder = parse(text)
    const alive = isAlive(holder)
    if (alive && shared && holder.opening && holder.pid !== self.pid && Date.now() < deadline) {
      // Another shared opener is checking and opening the files: wait our turn.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OPEN_POLL_MS)
      continue
    }
    if (alive || attempt >= 3) throw lockedError(dir, holder.pid, `lock file ${path}`)
    rmSync(path, { force: true })
  }
  const releaseLock = () => {
    if (readLock(path) === content) unlinkSync(path)
  }
  let holders: number[]
  try {
    holders = liveHolders(dir)
  } catch (error) {
    releaseLock()
    throw error
  }
  if (holders.includes(self.pid) || (!shared && holders.length)) {
    releaseLock()
    throw lockedError(dir, holders.includes(self.pid) ? self.pid : holders[0], `registered in ${join(dir, HOLDERS_DIR)}`)
  }
  const registration = join(dir, HOLDERS_DIR, String(self.pid))
  let state: 'opening' | 'open' | 'released' = 'opening'
  return {
    othersOpen: holders,
    opened() {
      if (!shared || state !== 'opening') return
      mkdirSync(join(dir, HOLDERS_DIR), { recursive: true, mode: 0o700 })
      writeFileSync(registration, format(false))
      state = 'open'
      releaseLock()
    },
    release() {
      if (state === 'released') return
      if (shared && state === 'open') rmSync(registration, { force: true })
      else releaseLock()
      state = 'released'
    },
  }
}

/** The pids of the live processes that have `dir` open, exclusively (`exclusive`) or shared (`shared`), and of one opening it. */
export function directoryHolders(dir: string): { exclusive?: number; opening?: number; shared: number[] } {
  const text = readLock(join(dir, LOCK_FILE))
  const holder = text === undefined ? undefined : parse(text)
  const live = holder && isAlive(holder) ? holder : undefined
  return { exclusive: live && !live.opening ? live.pid : undefined, opening: live?.opening ? live.pid : undefined, shared: liveHolders(dir) }
}

/** The processes registered as shared holders that are still alive; the registrations of dead ones are removed. */
function liveHolders(dir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(join(dir, HOLDERS_DIR))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const live: number[] = []
  for (const name of names) {
    const file = join(dir, HOLDERS_DIR, name)
    const text = readLock(file)
    if (text === undefined) continue
    const holder = parse(text)
    if (isAlive(holder)) live.push(holder.pid)
    else rmSync(file, { force: true })
  }
  return live
}

/** Creates `path` holding `content`, unless it exists: written aside and linked into place, so that it never exists without its content. */
function takeFile(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temp, content)
  try {
    linkSync(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return false
  } finally {
    unlinkSync(temp)
  }
}

function lockedError(dir: string, pid: number, where: string): DataDirectoryLockedError {
  return new DataDirectoryLockedError(
    pid === self.pid
      ? `[provisio] [fs-storage] ${dir} is already open in this process (pid ${pid}): dispose() the storage that has it open before opening it again`
      : `[provisio] [fs-storage] ${dir} is in use by process ${pid} (${where}): a data directory is either one process's alone, or open shared (\`shared: true\`) by every process that opens it`,
    dir,
    pid,
  )
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
