// The workflow table's layout: 80 columns whatever the names, long names cut in the middle, names
// from the file never acting on the terminal.
import { describe, expect, it } from 'vitest'
import { fit, workflowNotes, workflowSummary, workflowTable } from '../../src/cli/workflow-table'
import type { ResolvedWorkflowModel } from '../../src/shared/workflow'

const model = (over: Partial<ResolvedWorkflowModel>): ResolvedWorkflowModel => ({
  name: 'a.safetensors',
  folder: 'loras',
  nodes: [],
  notes: [],
  state: 'not_found',
  ...over,
})

describe('workflowTable', () => {
  it('keeps every line within 80 columns, cutting long names and folders in the middle', () => {
    const long = `${'very-long-model-name-'.repeat(6)}q8_0.gguf`
    const table = workflowTable([
      model({
        name: long,
        folder: 'a-custom-node-pack-folder',
        state: 's3',
        size: 23_800_000_000,
        url: 'https://x/y',
      }),
      model({ name: 'ae.safetensors', folder: 'vae', state: 'installed', size: 335_304_388 }),
      model({ name: 'b.pth', state: 'url', url: 'https://h/b.pth', s3Uri: 's3://m/b.pth' }),
    ])
    const lines = table.split('\n')
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80)
    expect(lines[1]).toMatch(
      /^very-long-model-…-name-q8_0\.gguf {2}a-custom…-folder {2}missing\s+S3 \+URL\s+23\.8 GB$/,
    )
    expect(lines[2]).toMatch(/^ae\.safetensors\s+vae\s+installed\s+disk\s+335\.3 MB$/)
    expect(lines[3]).toMatch(/^b\.pth\s+loras\s+missing\s+URL \+S3\s+-$/)
    expect(fit('abcdefghij', 5)).toBe('ab…ij')
  })

  it('shows control characters and bidi overrides in names as escapes; notes wrap with an indent', () => {
    const table = workflowTable([model({ name: 'evil\u001b[2J\u202e.safetensors', notes: [] })])
    expect(table.includes('\u001b') || table.includes('\u202e')).toBe(false)
    expect(table).toContain('evil\\u001b[2J\\u202e.safetensors')
    const notes = workflowNotes([model({ notes: ['word '.repeat(30).trim()] })])
    const lines = notes.split('\n')
    expect(lines.length).toBeGreaterThan(1)
    expect(lines.every((l) => l.length <= 80)).toBe(true)
    expect(lines.slice(1).every((l) => l.startsWith('    word'))).toBe(true)
  })

  it('sums what is to fetch from S3', () => {
    expect(
      workflowSummary([
        model({ state: 's3', size: 1_500_000 }),
        model({ state: 's3', size: 500_000 }),
        model({ state: 'installed', size: 9 }),
      ]),
    ).toBe('3 models: 1 installed, 2 to fetch from S3 (2.0 MB), 0 not found')
    expect(workflowTable([])).toBe('The workflow loads no model files.')
  })
})
