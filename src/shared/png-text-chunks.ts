// What a window sends of a PNG: its text chunks, where ComfyUI keeps the workflow, without the image.
// A 20 MB render then crosses the connection as a few kilobytes. Nothing is judged here: every chunk
// kept is copied byte for byte (CRC included), and from the first thing that is not a whole chunk the
// rest is copied as it stands, so the reader in core finds the same text and the same faults.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const KEPT = new Set(['IHDR', 'tEXt', 'zTXt', 'iTXt', 'IEND'])
/** The PNG spec's limit for a chunk's length; a larger claim is left for the reader to refuse. */
const MAX_CHUNK_LENGTH = 2 ** 31 - 1

export function isPngBytes(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b)
}

/** The PNG with only its header, text and end chunks; any other bytes are returned unchanged. */
export function pngTextOnly(bytes: Uint8Array): Uint8Array {
  if (!isPngBytes(bytes)) return bytes
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const parts: Uint8Array[] = [bytes.subarray(0, SIGNATURE.length)]
  let offset = SIGNATURE.length
  for (;;) {
    if (offset + 12 > bytes.length) {
      parts.push(bytes.subarray(offset))
      break
    }
    const length = view.getUint32(offset)
    const end = offset + 12 + length
    if (length > MAX_CHUNK_LENGTH || end > bytes.length) {
      parts.push(bytes.subarray(offset))
      break
    }
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    if (KEPT.has(type)) parts.push(bytes.subarray(offset, end))
    offset = end
    if (type === 'IEND') break
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
