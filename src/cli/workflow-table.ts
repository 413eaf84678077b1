// `modeldl workflow`'s table: name, folder, state, source, size, one line per model within 80
// columns (long names are cut in the middle, so the extension stays visible), then the notes.
import { formatBytes } from '../core/transfer/preflight'
import type { ResolvedWorkflowModel } from '../shared/workflow'
import { terminalSafe } from './format'

export const TABLE_WIDTH = 80
const GAP = '  '
const MAX_FOLDER = 16
const MIN_NAME = 20

const STATE_WORDS: Record<ResolvedWorkflowModel['state'], string> = {
  installed: 'installed',
  s3: 'missing',
  url: 'missing',
  not_found: 'not found',
}

/** Where it comes from (or is): the chosen source first, then the other one if it has both. */
export function sourceWords(m: ResolvedWorkflowModel): string {
  switch (m.state) {
    case 'installed':
      return 'disk'
    case 's3':
      return m.url ? 'S3 +URL' : 'S3'
    case 'url':
      return m.s3Uri ? 'URL +S3' : 'URL'
    case 'not_found':
      return '-'
  }
}

/** Cut to `width` characters in the middle: a model's name and extension both stay readable. */
export function fit(text: string, width: number): string {
  if (text.length <= width) return text
  if (width <= 1) return text.slice(0, width)
  const tail = Math.floor((width - 1) / 2)
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`
}

export function workflowTable(models: readonly ResolvedWorkflowModel[], width = TABLE_WIDTH): string {
  if (models.length === 0) return 'The workflow loads no model files.'
  const head = ['NAME', 'FOLDER', 'STATE', 'SOURCE', 'SIZE']
  const rows = models.map((m) => [
    terminalSafe(m.name),
    terminalSafe(m.folder),
    STATE_WORDS[m.state],
    terminalSafe(sourceWords(m)),
    m.size === undefined ? '-' : formatBytes(m.size),
  ])
  const widest = (i: number) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length))
  const folder = Math.min(widest(1), MAX_FOLDER)
  const state = widest(2)
  const source = widest(3)
  const size = widest(4)
  const room = width - folder - state - source - size - GAP.length * 4
  const name = Math.min(widest(0), Math.max(room, MIN_NAME))
  const widths = [name, folder, state, source, size]
  return [head, ...rows]
    .map((row) =>
      row
        .map((cell, i) => (i === 4 ? cell.padStart(widths[i]!) : fit(cell, widths[i]!).padEnd(widths[i]!)))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n')
}

/** Each model's notes, `name: note`, wrapped to the width with an indent. Empty when there are none. */
export function workflowNotes(models: readonly ResolvedWorkflowModel[], width = TABLE_WIDTH): string {
  const lines: string[] = []
  for (const m of models) {
    for (const note of m.notes) lines.push(...wrap(terminalSafe(`${m.name}: ${note}`), width, '    '))
  }
  return lines.join('\n')
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`
    if (next.length <= width || line === '') {
      line = next
      continue
    }
    lines.push(line)
    line = `${indent}${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}

/** `7 models: 2 installed, 3 to fetch from S3 (12.3 GB), 1 only at a URL, 1 not found`. */
export function workflowSummary(models: readonly ResolvedWorkflowModel[]): string {
  const count = (state: ResolvedWorkflowModel['state']) => models.filter((m) => m.state === state).length
  const fromS3 = models.filter((m) => m.state === 's3').reduce((n, m) => n + (m.size ?? 0), 0)
  const parts = [
    `${count('installed')} installed`,
    `${count('s3')} to fetch from S3 (${formatBytes(fromS3)})`,
  ]
  if (count('url') > 0) parts.push(`${count('url')} from a URL`)
  parts.push(`${count('not_found')} not found`)
  return `${models.length} model${models.length === 1 ? '' : 's'}: ${parts.join(', ')}`
}
