/** An audit entry or query was malformed; the message names the field. */
export class AuditError extends Error {
  readonly code = 'invalid'
  readonly status = 422

  constructor(message: string) {
    super(message)
    this.name = this.constructor.name
  }
}
