// The text chunks of a PNG (tEXt, zTXt, iTXt), read with no image library: ComfyUI stores the
// workflow it rendered in them, under the keywords "workflow" (the editor's graph) and "prompt" (the
// API format). Each chunk used is checked against its CRC, and compressed text is inflated with a
// bound, so a crafted file can neither pass off damaged text nor blow up in memory.
import { crc32, inflateSync } from 'node:zlib'
import { WorkflowError } from './workflow-error'

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
/** The PNG spec's limit for a chunk's length. */
const MAX_CHUNK_LENGTH = 2 ** 31 - 1
/** One text chunk, once inflated: far above any real workflow (a large template is under 1 MiB). */
export const MAX_PNG_TEXT_BYTES = 32 * 1024 * 1024

export function isPng(bytes: Buffer): boolean {
  return bytes.length >= SIGNATURE.length && bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)
}

/**
 * The text of the first chunk for each of `keywords` that the PNG carries. A file cut short keeps the
 * text of the chunks before the cut; a chunk whose CRC does not match is an error, never skipped.
 */
export function readPngText(bytes: Buffer, keywords: readonly string[]): Map<string, string> {
  if (!isPng(bytes)) throw new WorkflowError('bad_png', 'not a PNG file (no PNG signature)')
  const found = new Map<string, string>()
  let offset = SIGNATURE.length
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset)
    const type = bytes.toString('latin1', offset + 4, offset + 8)
    if (length > MAX_CHUNK_LENGTH)
      throw new WorkflowError('bad_png', `the ${type} chunk claims ${length} bytes`)
    const end = offset + 12 + length
    if (end > bytes.length) break
    if (type === 'IEND') return found
    if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
      const data = bytes.subarray(offset + 8, offset + 8 + length)
      if (
        crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== bytes.readUInt32BE(offset + 8 + length)
      ) {
        throw new WorkflowError('bad_png', `the PNG is damaged: its ${type} chunk fails its CRC check`)
      }
      const chunk = textChunk(type, data)
      if (chunk && keywords.includes(chunk.keyword) && !found.has(chunk.keyword)) {
        found.set(chunk.keyword, chunk.text())
      }
    }
    offset = end
  }
  if (found.size === 0) {
    throw new WorkflowError('bad_png', 'the PNG is truncated: it ends before its IEND chunk')
  }
  return found
}

/**
 * The keyword, and the text decoded only when asked for: a chunk under another keyword is never
 * inflated, nor judged.
 */
function textChunk(type: string, data: Buffer): { keyword: string; text: () => string } | null {
  const nul = data.indexOf(0)
  if (nul < 1 || nul > 79) return null
  const keyword = data.toString('latin1', 0, nul)
  const rest = data.subarray(nul + 1)
  if (type === 'tEXt') return { keyword, text: () => decodeText(rest) }
  if (type === 'zTXt') {
    return {
      keyword,
      text: () => {
        if (rest[0] !== 0) throw unknownCompression(type)
        return decodeText(inflate(rest.subarray(1), type))
      },
    }
  }
  // iTXt: compression flag, method, language tag NUL, translated keyword NUL, UTF-8 text.
  return {
    keyword,
    text: () => {
      const compressed = rest[0] === 1
      if (compressed && rest[1] !== 0) throw unknownCompression(type)
      const language = rest.indexOf(0, 2)
      const translated = language < 0 ? -1 : rest.indexOf(0, language + 1)
      if (rest.length < 2 || translated < 0) {
        throw new WorkflowError('bad_png', `the PNG's iTXt chunk "${keyword}" is malformed`)
      }
      const body = rest.subarray(translated + 1)
      return (compressed ? inflate(body, type) : body).toString('utf8')
    },
  }
}

/**
 * tEXt is Latin-1 by the spec, but some writers put UTF-8 in it; text that is valid UTF-8 is read
 * as such (Latin-1 text with accents almost never is).
 */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return bytes.toString('latin1')
  }
}

function inflate(data: Buffer, type: string): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: MAX_PNG_TEXT_BYTES })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      const mib = MAX_PNG_TEXT_BYTES / 1024 / 1024
      throw new WorkflowError('too_large', `the PNG's ${type} text inflates to more than ${mib} MiB`)
    }
    throw new WorkflowError('bad_png', `the PNG's compressed ${type} text is damaged`)
  }
}

function unknownCompression(type: string): WorkflowError {
  return new WorkflowError('bad_png', `the PNG's ${type} chunk uses an unknown compression method`)
}
