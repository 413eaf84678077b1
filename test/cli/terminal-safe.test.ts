// terminalSafe and the CLI's formatting of names that came from a store or a config.
import { describe, expect, it } from 'vitest'
import { simpleLine, table, terminalSafe } from '../../src/cli/format'
import type { ModelRecord } from '../../src/shared/service-contract'

const ESC = '\x1b'
/** Every kind a terminal acts on: an ESC sequence, an OSC title ended by BEL, C1, DEL, bidi, isolates. */
const HOSTILE = `x${ESC}[2J${ESC}]0;t\x07\u202a\u202e\u2066\u2069\u200f\u061c\u0085\u009b\x7f\r\n\b\u2028y`

function controls(text: string): string[] {
  return [...text].filter((char) => {
    const c = char.codePointAt(0)!
    return (
      c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
    )
  })
}

const record = (fields: Partial<ModelRecord>): ModelRecord => ({
  id: '/m/x',
  group: 'loras',
  modelName: 'x.safetensors',
  s3Uri: 's3://b/x',
  localPath: '/m/x',
  expectedSize: 10,
  status: 'failed',
  downloaded: 0,
  totalSize: 10,
  speedBps: 0,
  etaSeconds: null,
  attempts: 1,
  autoRetries: 0,
  batchId: 'b',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUpdated: '2026-01-01T00:00:00.000Z',
  ...fields,
})

describe('terminalSafe', () => {
  it('shows each character a terminal acts on as its \\u escape and keeps the rest', () => {
    expect(terminalSafe(HOSTILE)).toBe(
      'x\\u001b[2J\\u001b]0;t\\u0007\\u202a\\u202e\\u2066\\u2069\\u200f\\u061c\\u0085\\u009b\\u007f\\u000d\\u000a\\u0008\\u2028y',
    )
    expect(controls(terminalSafe(HOSTILE))).toEqual([])
    const plain = 'loras/sdxl/détail 模型 ✓ (v1.0)~.safetensors'
    expect(terminalSafe(plain)).toBe(plain)
  })

  it('keeps the meaning of JSON.stringify output, line by line', () => {
    const value = { [HOSTILE]: { modelName: HOSTILE, n: 1 } }
    const text = JSON.stringify(value, null, 2).split('\n').map(terminalSafe).join('\n')
    expect(controls(text.replaceAll('\n', ''))).toEqual([])
    expect(JSON.parse(text)).toEqual(value)
  })
})

describe('the list formats', () => {
  it('table and simpleLine print group, model name and error message through terminalSafe', () => {
    const r = record({ group: `g${HOSTILE}`, modelName: `m${HOSTILE}`, errorMessage: `e${HOSTILE}` })
    for (const text of [table([r]), simpleLine(r)]) {
      expect(controls(text.replaceAll('\n', ''))).toEqual([])
      expect(text).toContain(`g${terminalSafe(HOSTILE)}`)
      expect(text).toContain(`m${terminalSafe(HOSTILE)}`)
    }
    expect(simpleLine(r)).toContain(`e${terminalSafe(HOSTILE)}`)
    expect(table([r]).split('\n')).toHaveLength(2)
  })
})
