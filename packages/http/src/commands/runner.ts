import { renderUsage, runCommand, type ArgsDef, type CommandDef } from 'citty'
import { consola } from 'consola'

/** A command failed for a reason the user can act on: printed as one line, with this exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = this.constructor.name
  }
}

type AnyCommand = CommandDef<any>

interface Resolved {
  /** The command the arguments lead to, and the names leading to it (`['provisio', 'users', 'add']`). */
  command: AnyCommand
  path: string[]
  /** The arguments after the command's own name. */
  rest: string[]
}

const resolve = async <T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> => (typeof value === 'function' ? (value as () => T)() : value)

/** The first argument that is not a flag (or a flag's value) names a sub-command. */
function subCommandIndex(args: string[], defs: ArgsDef): number {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]
    if (arg === '--') return -1
    if (!arg.startsWith('-')) return index
    const def = defs[arg.replace(/^-{1,2}/, '')]
    if (!arg.includes('=') && def && def.type !== 'boolean' && def.type !== 'positional') index++
  }
  return -1
}

async function resolveCommand(root: AnyCommand, rawArgs: string[]): Promise<Resolved> {
  let command = root
  let rest = rawArgs
  const path = [(await resolve(root.meta))?.name ?? 'provisio']
  for (;;) {
    const subCommands = await resolve(command.subCommands)
    if (!subCommands) return { command, path, rest }
    const index = subCommandIndex(rest, (await resolve(command.args)) ?? {})
    const name = rest[index]
    if (index < 0 || !(name in subCommands)) {
      if (index >= 0) throw new CommandError(`Unknown command "${name}" for \`${path.join(' ')}\`; see \`${path.join(' ')} --help\``, 2)
      return { command, path, rest }
    }
    command = await resolve(subCommands[name] as AnyCommand)
    path.push(name)
    rest = rest.slice(index + 1)
  }
}

/** Flags the command does not declare: a typo must not pass silently as a default. */
function unknownFlags(args: string[], defs: ArgsDef): string[] {
  const known = new Set(['help', 'h'])
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') continue
    known.add(name)
    for (const alias of [(def as { alias?: string | string[] }).alias ?? []].flat()) known.add(alias)
    if (def.type === 'boolean') known.add(`no-${name}`)
  }
  const unknown: string[] = []
  for (const arg of args) {
    if (arg === '--') break
    if (!arg.startsWith('-') || arg === '-') continue
    const name = arg.replace(/^-{1,2}/, '').split('=')[0]
    if (!known.has(name)) unknown.push(arg.split('=')[0])
  }
  return unknown
}

/**
 * Runs the `provisio` command: `--help` at any depth names the whole command (`provisio users
 * add`), unknown flags and commands are refused, and every failure is one line on stderr with an
 * exit code (2 for usage, 1 otherwise); `PROVISIO_DEBUG=1` adds the stack.
 */
export async function runCli(root: AnyCommand, rawArgs = process.argv.slice(2)): Promise<void> {
  try {
    const meta = await resolve(root.meta)
    if (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v')) {
      console.log(meta?.version)
      return
    }
    const { command, path, rest } = await resolveCommand(root, rawArgs)
    const usage = `\`${path.join(' ')} --help\``
    if (rest.includes('--help') || rest.includes('-h') || (rest.length === 0 && !command.run)) {
      // citty prefixes the parent's name only: give it the whole path as the parent's name.
      const parent = { meta: { name: path.slice(0, -1).join(' '), version: meta?.version } }
      console.log(`${await renderUsage(command, path.length > 1 ? parent : undefined)}\n`)
      return
    }
    const unknown = unknownFlags(rest, (await resolve(command.args)) ?? {})
    if (unknown.length > 0)
      throw new CommandError(`Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} for \`${path.join(' ')}\`; see ${usage}`, 2)
    try {
      await runCommand(command, { rawArgs: rest })
    } catch (error) {
      // citty's own argument errors (a missing positional): a usage problem.
      if ((error as Error)?.name === 'CLIError') throw new CommandError(`${(error as Error).message} for \`${path.join(' ')}\`; see ${usage}`, 2)
      throw error
    }
  } catch (error) {
    const exitCode = error instanceof CommandError ? error.exitCode : 1
    consola.error(error instanceof Error ? error.message : String(error))
    if (process.env.PROVISIO_DEBUG && error instanceof Error && error.stack) console.error(error.stack)
    process.exit(exitCode)
  }
}
