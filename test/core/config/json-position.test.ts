import { describe, expect, it } from 'vitest'
import { positionAt, scanForError } from '../../../src/core/config/json-position'

/** The offset V8 reports, for the inputs where it reports one. */
function v8Offset(text: string): number | undefined {
  try {
    JSON.parse(text)
    return undefined
  } catch (err) {
    const at = /at position (\d+)/.exec((err as Error).message)?.[1]
    return at === undefined ? undefined : Number(at)
  }
}

describe('scanForError', () => {
  it.each([
    '{"a": 1 "b": 2}',
    '{"a" 1}',
    "{'a': 1}",
    '[1, 2',
    '{"a": "x\ny"}',
    '{"a": 1}}',
    '{"a": "\\q"}',
    '[1, 2]x',
  ])('agrees with V8 on %j', (text) => {
    const offset = v8Offset(text)
    expect(offset).toBeDefined()
    expect(scanForError(text)).toBe(offset)
  })

  it.each([
    ['[1,]', 3],
    ['{"a": NaN}', 6],
    ['{"a": tru}', 6],
    ['{"a": 1,}', 8],
    ['[01]', 2],
  ])('finds what V8 leaves unlocated in %j', (text, offset) => {
    expect(scanForError(text)).toBe(offset)
  })

  it.each(['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}} ', '"s"', '0'])(
    'finds nothing wrong in valid JSON %j',
    (text) => {
      expect(scanForError(text)).toBeUndefined()
    },
  )
})

describe('positionAt', () => {
  it('counts 1-based lines and columns', () => {
    expect(positionAt('abc', 0)).toEqual({ line: 1, column: 1 })
    expect(positionAt('ab\ncd\nef', 7)).toEqual({ line: 3, column: 2 })
    expect(positionAt('ab\r\ncd', 4)).toEqual({ line: 2, column: 1 })
  })
})
