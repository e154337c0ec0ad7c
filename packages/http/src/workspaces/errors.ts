import { ProvisioError } from '@provisio/engine'

export type WorkspaceErrorCode =
  | 'missing_workspace'
  | 'missing_infra'
  | 'missing_settings'
  | 'invalid_settings'
  | 'invalid_plan'
  | 'missing_address'
  /** Another workflow created the server, or is creating it, since the plan was made. */
  | 'server_taken'

/** Something a workspace, infra or settings file lacks; the message names the path or entry at fault. */
export class WorkspaceError extends ProvisioError {
  declare code: WorkspaceErrorCode
  constructor(message: string, code: WorkspaceErrorCode) {
    super(message, { code })
  }
}
