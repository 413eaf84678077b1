import { isRecord } from './formats'
import type { ConfigIssue } from './issues'

const strict = new TextDecoder('utf-8', { fatal: true })
const lossy = new TextDecoder('utf-8')
const REPLACEMENT = '\uFFFD'

/**
 * A config's text. A byte-order mark is dropped (editors on Windows like to start JSON with one). Bytes
 * that are not UTF-8 are not quietly replaced: `badAt` gives the first one's offset, and the lossy text
 * (with U+FFFD for them) is returned only so the entries holding them can be named.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string; badAt?: number } {
  try {
    return { text: strict.decode(bytes) }
  } catch {
    return { text: lossy.decode(bytes), badAt: firstInvalidByte(bytes) }
  }
}

/**
 * Each entry and field of a parsed (lossily decoded) config that holds a U+FFFD, as "is not valid
 * UTF-8"; when none does (the bad bytes were between entries), one issue naming the byte offset.
 */
export function invalidUtf8Issues(json: unknown, badAt: number): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const checkModel = (entry: string, value: unknown) => {
    if (!isRecord(value)) {
      if (holdsReplacement(value)) issues.push({ entry, field: '', message: NOT_UTF8 })
      return
    }
    for (const [field, fieldValue] of Object.entries(value)) {
      if (field.includes(REPLACEMENT)) {
        issues.push({ entry, field, message: `the field name ${NOT_UTF8}` })
      } else if (holdsReplacement(fieldValue)) {
        issues.push({ entry, field, message: NOT_UTF8 })
      }
    }
  }
  if (Array.isArray(json)) {
    json.forEach((value, index) => checkModel(`[${index}]`, value))
  } else if (isRecord(json)) {
    for (const [group, members] of Object.entries(json)) {
      if (group.includes(REPLACEMENT)) {
        issues.push({ entry: group, field: '', message: `the group name ${NOT_UTF8}` })
      } else if (!isRecord(members)) {
        if (holdsReplacement(members)) issues.push({ entry: group, field: '', message: NOT_UTF8 })
      } else {
        for (const [key, value] of Object.entries(members)) {
          const entry = `${group}/${key}`
          if (key.includes(REPLACEMENT))
            issues.push({ entry, field: '', message: `the model key ${NOT_UTF8}` })
          else checkModel(entry, value)
        }
      }
    }
  }
  if (issues.length === 0) {
    issues.push({
      entry: '',
      field: '',
      message: `${NOT_UTF8}: a byte that is not UTF-8 at byte offset ${badAt}`,
    })
  }
  return issues
}

const NOT_UTF8 = 'is not valid UTF-8'

function holdsReplacement(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(REPLACEMENT)
  if (Array.isArray(value)) return value.some(holdsReplacement)
  if (isRecord(value)) {
    return Object.entries(value).some(([key, inner]) => key.includes(REPLACEMENT) || holdsReplacement(inner))
  }
  return false
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    let max = 0xbf
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1
      min = 0x80
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      // No overlong forms, no surrogates.
      min = b === 0xe0 ? 0xa0 : 0x80
      if (b === 0xed) max = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      min = b === 0xf0 ? 0x90 : 0x80
      if (b === 0xf4) max = 0x8f
    } else {
      return i
    }
    const second = bytes[i + 1]
    if (second === undefined || second < min || second > max) return i
    for (let k = 2; k <= need; k++) {
      const next = bytes[i + k]
      if (next === undefined || next < 0x80 || next > 0xbf) return i
    }
    i += need + 1
  }
  return i
}
