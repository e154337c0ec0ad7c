import { cpSync, existsSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { defineCommand } from 'citty'
import { consola } from 'consola'
import { checkFsStorage, DataDirectoryLockedError, salvageFsStorage, StorageCorruptionError, type StorageCheckReport } from '@provisio/engine'
import { loadServeConfigOrExit } from '../config/load'
import { dataArgs, dataFlags } from './shared-args'

/** The data dir's subdirectory that holds the fs storage (see `createConfiguredStorage`). */
const STORE_DIR = 'data'

/** The one line a command prints when the engine refused to open a damaged store; undefined for any other error. */
export function storageDamageMessage(error: unknown, dataDir: string): string | undefined {
  if (!(error instanceof StorageCorruptionError)) return undefined
  return (
    `The storage of ${dataDir} is damaged: ${error.file} is corrupt${error.offset === undefined ? '' : ` at byte ${error.offset}`}: ${error.reason}. Nothing was changed. ` +
    `List every damaged range with \`provisio storage check --data-dir ${dataDir}\`, and copy every readable record into a new data dir with \`provisio storage salvage --data-dir ${dataDir} --out NEWDIR\`.`
  )
}

const storageArgs = { config: dataArgs.config, 'data-dir': dataArgs['data-dir'] }

/** The configured data dir; exits when the configuration is bad or does not use the fs storage. */
function fsDataDir(args: Record<string, unknown>): string {
  const { config } = loadServeConfigOrExit({ configPath: args.config as string | undefined, flags: { dataDir: dataFlags(args).dataDir } }, (message) =>
    consola.error(message),
  )
  if (config.storage !== 'fs') fail(`The configuration uses the ${config.storage} storage; check and salvage apply to the fs storage of a data dir.`)
  return resolve(config.dataDir)
}

function isWithin(path: string, dir: string): boolean {
  const below = relative(dir, path)
  return below === '' || (below !== '..' && !below.startsWith(`..${sep}`) && !isAbsolute(below))
}

function fail(message: string): never {
  consola.error(message)
  process.exit(1)
}

/** Runs a storage call, turning the errors a person can act on into one line. */
async function orExit<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    // The engine's own refusals (open in a process, missing, target not empty, newer format) say what to do.
    if (error instanceof DataDirectoryLockedError || (error instanceof Error && error.message.startsWith('[provisio] [fs-storage]'))) fail(error.message)
    throw error
  }
}

const count = (n: number, thing: string) => `${n} ${thing}${n === 1 ? '' : 's'}`

function printReport(report: StorageCheckReport): void {
  console.log(`Store ${report.dir}: ${count(report.keys, 'intact key')}, ${count(report.damage.length, 'damaged range')}`)
  console.log(`  ${relative(report.dir, report.file)}  ${count(report.bytes, 'byte')}, ${count(report.keys, 'record')}`)
  for (const damage of report.damage) console.log(`    DAMAGED at byte ${damage.offset} (${count(damage.length, 'byte')}): ${damage.reason}`)
}

const checkCommand = defineCommand({
  meta: {
    name: 'check',
    description: "Read every page and record of the data dir's storage and report damage, changing nothing (exit 1 when damaged; the server must be stopped)",
  },
  args: storageArgs,
  async run({ args }) {
    const dataDir = fsDataDir(args)
    const store = join(dataDir, STORE_DIR)
    if (!existsSync(store)) fail(`${dataDir} holds no storage (no ${store})`)
    const report = await orExit(() => checkFsStorage(store))
    printReport(report)
    if (report.healthy) {
      console.log('Healthy: the store opens as it is.')
      return
    }
    console.log(
      `DAMAGED: ${count(report.damage.length, 'damaged range')}; the server refuses to start on this store. ` +
        `Copy every readable record into a new data dir: provisio storage salvage --data-dir ${dataDir} --out NEWDIR`,
    )
    process.exit(1)
  },
})

const salvageCommand = defineCommand({
  meta: {
    name: 'salvage',
    description: "Copy every readable record of the data dir's storage, and its other files (signing key), into a new data dir; the old one is only read",
  },
  args: {
    ...storageArgs,
    out: { type: 'string', description: 'New data dir to write (must not exist or be empty)', valueHint: 'dir', required: true },
  },
  async run({ args }) {
    const dataDir = fsDataDir(args)
    const out = resolve(args.out)
    const store = join(dataDir, STORE_DIR)
    if (!existsSync(store)) fail(`${dataDir} holds no storage (no ${store})`)
    if (isWithin(out, dataDir)) fail(`${out} is inside ${dataDir}: salvage into a directory outside it`)
    if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length))
      fail(`${out} already exists and is not an empty directory: salvage into a new one`)
    const report = await orExit(() => salvageFsStorage(store, join(out, STORE_DIR)))
    // The rest of the data dir (the JWT signing key, provider files) is copied as it is, so tokens stay valid.
    for (const name of readdirSync(dataDir)) {
      if (name !== STORE_DIR) cpSync(join(dataDir, name), join(out, name), { recursive: true, preserveTimestamps: true })
    }
    printReport(report)
    const skipped = report.damage.reduce((sum, damage) => sum + damage.length, 0)
    console.log(`Salvaged ${count(report.copied, 'key')} into ${out} (${count(report.damage.length, 'damaged range')}, ${count(skipped, 'byte')}, skipped).`)
    if (report.damage.length) console.log('A key whose record was in a damaged range is missing from the copy: review the ranges above.')
    console.log(`Start the server on it with --data-dir ${out}; ${dataDir} is left as it was.`)
  },
})

export const storageCommand = defineCommand({
  meta: { name: 'storage', description: 'Check or salvage the fs storage of a data dir (while the server is stopped)' },
  subCommands: { check: checkCommand, salvage: salvageCommand },
})
