import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { z } from 'zod'

/** Workspace, infra, server, taskserv and cluster names: one path segment, never `.` or `..`. */
export const entryName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit')

/** True when `path` is `dir` itself or below it. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}

/** A path relative to a directory that stays inside it (`taskservs/k8s/install.yml`). */
export const relativePath = z
  .string()
  .min(1)
  .refine(
    (path) => !isAbsolute(path) && isInside('/base', resolve('/base', path)) && resolve('/base', path) !== '/base',
    'a relative path that stays inside its directory',
  )

export async function kindOf(path: string): Promise<'file' | 'directory' | undefined> {
  const info = await stat(path).catch(() => undefined)
  if (!info) return undefined
  return info.isDirectory() ? 'directory' : 'file'
}
