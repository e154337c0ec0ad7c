import type { JobRecord, JobStatus } from './jobs/types'

/** Every event the engine emits, with its payload. */
export interface EngineEvents {
  'job:created': (event: { id: string; job: JobRecord }) => void
  'job:status': (event: { id: string; status: JobStatus; previous: JobStatus | null; job: JobRecord }) => void
  'job:output': (event: { id: string; seq: number; line: string }) => void
  'job:progress': (event: { id: string; percent: number; step?: string }) => void
  /** A provider's own event, raised with `ctx.emit`. */
  'job:event': (event: { id: string; type: string; data: unknown }) => void
  'engine:error': (event: { error: Error; context: string }) => void
}

export type EngineEventName = keyof EngineEvents
