import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { describe, expect, it } from 'vitest'

const packages = ['engine', 'adapters', 'plugins', 'http']
const root = fileURLToPath(new URL('..', import.meta.url))

describe('packages', () => {
  for (const name of packages) {
    it(`@provisio/${name} publishes cleanly (publint)`, async () => {
      const pkgDir = `${root}packages/${name}`
      expect(existsSync(`${pkgDir}/dist/index.js`), 'dist is missing: run `npm run build` (npm install runs it)').toBe(true)
      const { messages } = await publint({ pkgDir, level: 'warning' })
      expect(messages).toEqual([])
    })
  }
})
