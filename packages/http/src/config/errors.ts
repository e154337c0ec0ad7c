/** A configuration problem, naming the key and where its value came from. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = this.constructor.name
  }
}
