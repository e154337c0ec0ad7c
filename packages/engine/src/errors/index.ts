import type { z } from 'zod'

/** Base class of the errors the engine throws on purpose; `code` is stable, the message is for people. */
export class ProvisioError extends Error {
  code: string
  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.name = this.constructor.name
    this.code = options.code
  }
}

export interface ValidationIssue {
  /** Dotted path of the offending field (`input.region`), empty for the whole value. */
  path: string
  message: string
}

/** Bad input: lists every offending field at once. Nothing was stored. */
export class ValidationError extends ProvisioError {
  issues: ValidationIssue[]
  constructor(message: string, issues: ValidationIssue[]) {
    super(issues.length ? `${message}: ${issues.map(formatIssue).join('; ')}` : message, { code: 'validation' })
    this.issues = issues
  }

  static fromZod(message: string, error: z.ZodError, pathPrefix = ''): ValidationError {
    return new ValidationError(message, issuesFromZod(error, pathPrefix))
  }
}

export class NotFoundError extends ProvisioError {
  constructor(message: string) {
    super(message, { code: 'not_found' })
  }
}

/** The engine is stopping or not started. */
export class EngineStateError extends ProvisioError {
  constructor(message: string) {
    super(message, { code: 'engine_state' })
  }
}

/** A data directory another process (or another storage of this process) has open. */
export class DataDirectoryLockedError extends ProvisioError {
  constructor(
    message: string,
    readonly directory: string,
    /** The process holding the directory's lock. */
    readonly holderPid: number,
  ) {
    super(message, { code: 'data_directory_locked' })
  }
}

/**
 * A data directory whose files are damaged: opening it is refused and nothing
 * in it is changed. `salvageFsStorage` copies every readable record out.
 */
export class StorageCorruptionError extends ProvisioError {
  constructor(
    /** The damaged file. */
    readonly file: string,
    /** Byte offset in `file` where the damage starts, when known (a damaged value met on reading has none). */
    readonly offset: number | undefined,
    /** What is wrong there. */
    readonly reason: string,
  ) {
    super(
      `[provisio] [fs-storage] ${file} is corrupt${offset === undefined ? `: ${reason}. The read was refused` : ` at byte ${offset}: ${reason}. The store was not opened and nothing in it was changed`}. ` +
        'Copy every readable record into a new directory with `provisio storage salvage --data-dir DIR --out NEWDIR` (salvageFsStorage() in @provisio/engine)',
      { code: 'storage_corrupt' },
    )
  }
}

export function issuesFromZod(error: z.ZodError, pathPrefix = ''): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [pathPrefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }))
}

function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message
}

/** Reduces anything thrown to the JSON-safe error kept in records. */
