import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { describe, expect, it } from 'vitest'

const packages = ['engine', 'adapters', 'plugins', 'http']
const root = fileURLToPath(new URL('..', import.meta.url))
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

describe('packages', () => {
  const rootManifest = readJson(`${root}package.json`)

  for (const name of packages) {
    const pkgDir = `${root}packages/${name}`
    const manifest = readJson(`${pkgDir}/package.json`)

    it(`@provisio/${name} publishes cleanly (publint)`, async () => {
      expect(existsSync(`${pkgDir}/dist/index.js`), 'dist is missing: run `npm run build` (npm install runs it)').toBe(true)
      const { messages } = await publint({ pkgDir, level: 'warning' })
      expect(messages).toEqual([])
    })

    it(`@provisio/${name} ships a LICENSE, README and CHANGELOG, its repository, and public access`, () => {
      for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md']) expect(existsSync(`${pkgDir}/${file}`), `${file} of ${name}`).toBe(true)
      expect(readFileSync(`${pkgDir}/LICENSE`, 'utf8')).toBe(readFileSync(`${root}LICENSE`, 'utf8'))
      expect(manifest.license).toBe('MIT')
      expect(manifest.repository).toEqual({ ...rootManifest.repository, directory: `packages/${name}` })
      expect(manifest.publishConfig).toEqual({ access: 'public' })
    })

    it(`@provisio/${name}'s bins are committed files, so npm links them before the build`, () => {
      for (const [bin, target] of Object.entries<string>(manifest.bin ?? {})) {
        expect(target, bin).not.toMatch(/dist\//)
        expect(statSync(`${pkgDir}/${target}`).mode & 0o111, `${target} is executable`).not.toBe(0)
        expect(readFileSync(`${pkgDir}/${target}`, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
      }
    })
  }

  it('the four packages are versioned together by changesets', () => {
    const versions = new Set(packages.map((name) => readJson(`${root}packages/${name}/package.json`).version))
    expect(versions.size).toBe(1)
    const config = readJson(`${root}.changeset/config.json`)
    expect(config.fixed).toEqual([['@provisio/*']])
    expect(config.access).toBe('public')
  })
})
