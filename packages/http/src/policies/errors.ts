/** A policy write or lookup was refused; `rule` is the index of the offending rule. */
export class PolicyError extends Error {
  readonly code: 'invalid' | 'not_found'
  readonly status: 404 | 422
  readonly rule?: number

  constructor(code: 'invalid' | 'not_found', message: string, rule?: number) {
    super(message)
    this.name = this.constructor.name
    this.code = code
    this.status = code === 'not_found' ? 404 : 422
    if (rule !== undefined) this.rule = rule
  }
}
