export type InputValue = string | number | boolean | string[]

/**
 * Exposes inputs the way CI runners do: `INPUT_<NAME>`, the name upper-cased
 * with anything but letters, digits and `_` turned into `_`, lists comma-joined.
 */
export function inputsToEnv(inputs: Record<string, InputValue> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = Array.isArray(value) ? value.join(',') : String(value)
  }
  return env
}

/** Quotes an argument for a POSIX shell: what it prints is what the program receives. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}
