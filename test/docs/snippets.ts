import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A fenced block of a Markdown file, as the snippet test sees it. */
export interface Snippet {
  /** `docs/engine.md:51`: the file, relative to the repository, and the line of the opening fence. */
  where: string
  /** The block's language, lower case (`ts`, `sh`, ...); empty for a block without one. */
  lang: string
  /** Why the block is not run (`ts no-run: needs a real Vultr API key`), if it says so; TypeScript is still type-checked. */
  noRun?: string
  /** Why the block is a piece of a larger program, neither checked nor run (`ts excerpt: from src/app.ts`), if it says so. */
  excerpt?: string
  code: string
}

const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/

/** The fenced blocks of a Markdown text, their indentation (a block in a list item) removed. */
export function parseSnippets(markdown: string, file: string): Snippet[] {
  const snippets: Snippet[] = []
  const lines = markdown.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const open = lines[index].match(fence)
    if (!open) continue
    const [, indent, marker, info] = open
    const body: string[] = []
    let end = index + 1
    for (; end < lines.length; end++) {
      const close = lines[end].match(fence)
      if (close?.[2].startsWith(marker) && close[3] === '') break
      body.push(lines[end].startsWith(indent) ? lines[end].slice(indent.length) : lines[end].trimStart())
    }
    const [lang = '', ...rest] = info.trim().split(/\s+/)
    const options = rest.join(' ')
    const noRun = options.match(/^no-run(?::\s*(.*))?$/)
    const excerpt = options.match(/^excerpt(?::\s*(.*))?$/)
    snippets.push({
      where: `${file}:${index + 1}`,
      lang: lang.toLowerCase(),
      ...(noRun ? { noRun: noRun[1] ?? '' } : {}),
      ...(excerpt ? { excerpt: excerpt[1] ?? '' } : {}),
      code: `${body.join('\n')}\n`,
    })
    index = end
  }
  return snippets
}

/** README.md, every package's README.md and every Markdown file under docs/. */
export function documentationFiles(root: string): string[] {
  const docs = (readdirSync(join(root, 'docs'), { recursive: true }) as string[]).filter((path) => path.endsWith('.md')).map((path) => join('docs', path))
  const packages = readdirSync(join(root, 'packages')).map((name) => join('packages', name, 'README.md'))
  return ['README.md', ...packages.filter((path) => existsSync(join(root, path))), ...docs.sort()]
}

export function snippetsOf(root: string): Snippet[] {
  return documentationFiles(root).flatMap((file) => parseSnippets(readFileSync(join(root, file), 'utf8'), file))
}
