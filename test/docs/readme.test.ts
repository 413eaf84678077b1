// The README is what a newcomer reads first: it stays short, its links lead somewhere, and the pages it
// sends people to exist. docs/cli.md claims to list every command and flag: every flag `modeldl help`
// prints must be in it.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI_BIN, ROOT } from '../support/built'

const README = join(ROOT, 'README.md')
const DOCS = ['architecture', 'cli', 'settings', 'benchmarks', 'testing', 'security', 'window'].map((name) =>
  join(ROOT, 'docs', `${name}.md`),
)

/** Markdown links and images `[text](target)` outside code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!)
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const headings = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm)]
  return new Set(
    headings.map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

/** The relative links of a Markdown file that lead nowhere: a missing file or a missing heading. */
function brokenLinks(file: string): string[] {
  const broken: string[] = []
  for (const link of links(readFileSync(file, 'utf8'))) {
    if (/^[a-z]+:/i.test(link)) continue // http:, https:, mailto:
    const [path, anchor] = link.split('#') as [string, string | undefined]
    const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
    if (!existsSync(target)) {
      broken.push(`${link} (no such file)`)
      continue
    }
    if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
      broken.push(`${link} (no such heading)`)
    }
  }
  return broken
}

describe('README', () => {
  it('stays under 10 KB', () => {
    expect(statSync(README).size).toBeLessThanOrEqual(10_000)
  })

  it('sends people to docs pages that exist', () => {
    for (const page of DOCS) expect(existsSync(page), page).toBe(true)
    const readme = readFileSync(README, 'utf8')
    for (const page of DOCS)
      expect(readme, `README links ${page}`).toContain(`(docs/${page.split('/').pop()}`)
  })

  it('has no relative link that leads nowhere, nor do the docs pages', () => {
    expect(links(readFileSync(README, 'utf8')).length).toBeGreaterThan(5)
    for (const file of [README, ...DOCS]) expect(brokenLinks(file), file).toEqual([])
  })

  it('keeps the placeholder for the shared-volume claims', () => {
    expect(readFileSync(README, 'utf8')).toMatch(/^## Many pods, one volume$/m)
  })
})

describe('docs/cli.md', () => {
  it('names every flag that modeldl help prints', () => {
    const help = execFileSync(process.execPath, [CLI_BIN, 'help'], { encoding: 'utf8' })
    const flags = new Set(help.match(/--[a-z][a-z0-9-]*/g))
    expect(flags.size).toBeGreaterThan(20)
    const cli = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8')
    const missing = [...flags].filter((flag) => !new RegExp(`${flag}(?![a-z0-9-])`).test(cli))
    expect(missing).toEqual([])
  })
})
