// Every benchmark of the project, one after the other: npm run bench
import { readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const only = process.argv[2]
const files = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.ts') && file !== 'index.ts' && !file.startsWith('_'))
  .filter((file) => !only || file.startsWith(only))
  .sort()

for (const file of files) {
  const module = await import(pathToFileURL(`${import.meta.dirname}/${file}`).href)
  const run = Object.entries(module).find(([name, value]) => name.startsWith('bench') && typeof value === 'function')?.[1] as
    | (() => Promise<unknown>)
    | undefined
  if (!run) continue
  console.log(`\n# ${file}`)
  await run()
}
