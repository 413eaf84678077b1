// Builds small, valid PNG files with text chunks, as ComfyUI saves its renders: tests write their own
// images rather than keep binaries in the repository. A 1×1 grey image, then the text chunks, then IEND.
import { crc32, deflateSync } from 'node:zlib'

export type TextChunk =
  | { type: 'tEXt'; keyword: string; text: string }
  | { type: 'zTXt'; keyword: string; text: string }
  | { type: 'iTXt'; keyword: string; text: string; compressed?: boolean }
  /** Any chunk as given (a damaged or foreign one). */
  | { type: 'raw'; chunkType: string; data: Buffer }

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

function textData(chunk: Exclude<TextChunk, { type: 'raw' }>): Buffer {
  const keyword = Buffer.from(`${chunk.keyword}\0`, 'latin1')
  if (chunk.type === 'tEXt') return Buffer.concat([keyword, Buffer.from(chunk.text, 'latin1')])
  if (chunk.type === 'zTXt') {
    return Buffer.concat([keyword, Buffer.from([0]), deflateSync(Buffer.from(chunk.text, 'latin1'))])
  }
  const text = Buffer.from(chunk.text, 'utf8')
  const flags = Buffer.from([chunk.compressed ? 1 : 0, 0, 0, 0]) // flag, method, "" lang, "" translated
  return Buffer.concat([keyword, flags, chunk.compressed ? deflateSync(text) : text])
}

/** A PNG with these text chunks (before the image data, where ComfyUI's writer puts them). */
export function pngWithText(chunks: TextChunk[], options: { iend?: boolean } = {}): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(1, 0)
  ihdr.writeUInt32BE(1, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // greyscale
  const parts = [SIGNATURE, pngChunk('IHDR', ihdr)]
  for (const chunk of chunks) {
    parts.push(
      chunk.type === 'raw' ? pngChunk(chunk.chunkType, chunk.data) : pngChunk(chunk.type, textData(chunk)),
    )
  }
  parts.push(pngChunk('IDAT', deflateSync(Buffer.from([0, 0x80]))))
  if (options.iend !== false) parts.push(pngChunk('IEND', Buffer.alloc(0)))
  return Buffer.concat(parts)
}
