/**
 * Cuts a zstd stream into pieces to feed a streaming decompressor one at a time, so that no single
 * push yields more than about `maxOutput` bytes.
 *
 * Why: fzstd decodes every complete block of a push at once, and an RLE block turns 4 bytes into 128 KiB,
 * so 1 MiB of a zeroed tensor's compressed form can be 32 GiB of output. Cutting at block boundaries
 * from the block headers is the only way to bound that. The splitter only chooses cut points: the
 * decompressor remains the judge of validity, so on anything it does not understand the splitter stops
 * cutting (the decompressor then fails on the same bytes) instead of raising errors of its own.
 *
 * It also reads each frame's window size, which fzstd allocates up front (up to 2 GiB).
 */

const ZSTD_MAGIC = 0xfd2fb528
const SKIPPABLE_MAGIC_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
// A compressed block never regenerates more than this (RFC 8878 §3.1.1.2.4).
const MAX_BLOCK_OUTPUT = 128 * 1024
const RLE_BLOCK = 1
const COMPRESSED_BLOCK = 2

/** A frame asks for a window larger than we agree to allocate. */
export class ZstdWindowTooLarge extends Error {
  override readonly name = 'ZstdWindowTooLarge'
  constructor(
    readonly windowSize: number,
    readonly limit: number,
  ) {
    super(`zstd window of ${windowSize} bytes exceeds the limit of ${limit}`)
  }
}

type Phase =
  | 'magic' // 4 bytes: a zstd frame, a skippable frame, or (gave up) something else
  | 'frameDescriptor' // byte 4 of a frame header: how long the rest of the header is
  | 'frameHeader' // the rest of the header, window descriptor included
  | 'skippableSize' // 4 bytes of a skippable frame's length
  | 'blockHeader' // 3 bytes: last-block flag, type, size
  | 'skip' // block content, a frame checksum or a skippable frame's content
  | 'opaque' // not understood: no more cuts

export class ZstdSplitter {
  private phase: Phase = 'magic'
  // Header bytes collected so far (headers may straddle two reads).
  private header: number[] = []
  private need = 4
  private skipLeft = 0
  private afterSkip: 'blockEnd' | 'frameEnd' = 'frameEnd'
  private frameChecksum = false
  private lastBlock = false
  private blockOutput = 0
  // Output bytes of the blocks completed since the last cut.
  private pendingOutput = 0

  constructor(
    private readonly maxOutput: number,
    private readonly maxWindow: number,
  ) {}

  /** Consecutive subarrays of `chunk` (no copies); their concatenation is `chunk`. */
  split(chunk: Uint8Array): Uint8Array[] {
    const pieces: Uint8Array[] = []
    let start = 0
    let i = 0
    while (i < chunk.length && this.phase !== 'opaque') {
      if (this.phase === 'skip') {
        const n = Math.min(this.skipLeft, chunk.length - i)
        i += n
        this.skipLeft -= n
        if (this.skipLeft === 0 && this.endSkip()) {
          pieces.push(chunk.subarray(start, i))
          start = i
        }
        continue
      }
      this.header.push(chunk[i++]!)
      if (this.header.length < this.need) continue
      if (this.onHeader()) {
        pieces.push(chunk.subarray(start, i))
        start = i
      }
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start))
    return pieces
  }

  /** Interprets the collected header bytes; true when a cut belongs right after them. */
  private onHeader(): boolean {
    const h = this.header
    switch (this.phase) {
      case 'magic': {
        const magic = u32(h, 0)
        if (magic === ZSTD_MAGIC) return this.expect('frameDescriptor', 5)
        if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) return this.expect('skippableSize', 8)
        this.phase = 'opaque'
        return false
      }
      case 'frameDescriptor': {
        const fhd = h[4]!
        const singleSegment = (fhd >> 5) & 1
        const dictIdBytes = [0, 1, 2, 4][fhd & 3]!
        const fcsFlag = fhd >> 6
        const contentSizeBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag
        return this.expect('frameHeader', 5 + (singleSegment ? 0 : 1) + dictIdBytes + contentSizeBytes)
      }
      case 'frameHeader': {
        const fhd = h[4]!
        this.frameChecksum = ((fhd >> 2) & 1) === 1
        const window = frameWindowSize(h)
        if (window > this.maxWindow) throw new ZstdWindowTooLarge(window, this.maxWindow)
        return this.expect('blockHeader', 3)
      }
      case 'skippableSize':
        return this.startSkip(u32(h, 4), 'frameEnd')
      case 'blockHeader': {
        const b = h[0]! | (h[1]! << 8) | (h[2]! << 16)
        this.lastBlock = (b & 1) === 1
        const type = (b >> 1) & 3
        const size = b >>> 3
        if (type === 3) {
          this.phase = 'opaque'
          return false
        }
        this.blockOutput = type === COMPRESSED_BLOCK ? MAX_BLOCK_OUTPUT : size
        return this.startSkip(type === RLE_BLOCK ? 1 : size, 'blockEnd')
      }
      default:
        return false
    }
  }

  private expect(phase: Phase, need: number): boolean {
    this.phase = phase
    this.need = need
    if (phase === 'blockHeader') this.header = []
    return false
  }

  private startSkip(bytes: number, then: 'blockEnd' | 'frameEnd'): boolean {
    this.phase = 'skip'
    this.skipLeft = bytes
    this.afterSkip = then
    this.header = []
    return bytes === 0 ? this.endSkip() : false
  }

  /** After a skipped stretch: true when the output since the last cut has reached the budget. */
  private endSkip(): boolean {
    if (this.afterSkip === 'frameEnd') {
      this.expect('magic', 4)
      this.header = []
      return false
    }
    this.pendingOutput += this.blockOutput
    if (this.lastBlock) {
      if (this.frameChecksum) {
        this.frameChecksum = false
        this.startSkip(4, 'frameEnd')
      } else {
        this.expect('magic', 4)
        this.header = []
      }
    } else {
      this.expect('blockHeader', 3)
    }
    if (this.pendingOutput < this.maxOutput) return false
    this.pendingOutput = 0
    return true
  }
}

function u32(b: number[], at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
}

/** RFC 8878 §3.1.1.1: the window descriptor, or the content size for a single-segment frame. */
function frameWindowSize(h: number[]): number {
  const fhd = h[4]!
  const singleSegment = (fhd >> 5) & 1
  if (!singleSegment) {
    const wd = h[5]!
    const base = 2 ** (10 + (wd >> 3))
    return base + (base / 8) * (wd & 7)
  }
  const dictIdBytes = [0, 1, 2, 4][fhd & 3]!
  const fcsFlag = fhd >> 6
  const at = 5 + dictIdBytes
  let size = 0
  const bytes = fcsFlag === 0 ? 1 : 1 << fcsFlag
  for (let i = bytes - 1; i >= 0; i--) size = size * 256 + h[at + i]!
  return fcsFlag === 1 ? size + 256 : size
}
