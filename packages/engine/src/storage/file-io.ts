import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs'

/** Writes all of `data` at `position`: a write to a regular file may still return short. */
export function writeFully(fd: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, position + done)
}

/** Reads `length` bytes at `position` into `buffer`; the caller knows they exist. */
export function readFully(fd: number, buffer: Buffer, length: number, position: number): void {
  for (let done = 0; done < length; ) {
    const read = readSync(fd, buffer, done, length - done, position + done)
    if (read === 0) throw new Error(`[provisio] [fs-storage] unexpected end of file at ${position + done}`)
    done += read
  }
}

/** Makes a file's creation, rename or removal in `dir` durable, which syncing the file alone does not. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
