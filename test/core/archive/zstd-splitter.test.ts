import { createHash, randomBytes } from 'node:crypto'
import { Decompress } from 'fzstd'
import { describe, expect, it } from 'vitest'
import { ZstdSplitter, ZstdWindowTooLarge } from '../../../src/core/transfer/archive/zstd-splitter'
import { MiB, hasZstd, skippableFrame, zstd } from './fixtures'

const MAX_OUTPUT = MiB
const LIMIT = 128 * MiB
// A push may complete the block that crossed the budget: one block (128 KiB) more at most.
const BOUND = MAX_OUTPUT + 128 * 1024

/** Feeds `compressed` in reads of `readSize` through the splitter into fzstd; reports what came out. */
function decode(compressed: Buffer, readSize: number): { sha256: string; size: number; largestPush: number } {
  const hash = createHash('sha256')
  let size = 0
  let pushed = 0
  let largestPush = 0
  const zstdStream = new Decompress((data) => {
    hash.update(data)
    size += data.length
    pushed += data.length
  })
  const splitter = new ZstdSplitter(MAX_OUTPUT, LIMIT)
  let contiguous = true
  for (let at = 0; at < compressed.length; at += readSize) {
    const read = compressed.subarray(at, at + readSize)
    const pieces = splitter.split(read)
    // Pieces are consecutive views of the read: nothing lost, repeated or copied.
    let next = read.byteOffset
    for (const p of pieces) {
      contiguous &&= p.buffer === read.buffer && p.byteOffset === next && p.length > 0
      next += p.length
    }
    contiguous &&= next === read.byteOffset + read.length
    for (const piece of pieces) {
      pushed = 0
      zstdStream.push(piece)
      largestPush = Math.max(largestPush, pushed)
    }
  }
  zstdStream.push(new Uint8Array(0), true)
  expect(contiguous).toBe(true)
  return { sha256: hash.digest('hex'), size, largestPush }
}

describe.skipIf(!hasZstd)('ZstdSplitter (fixtures by the zstd binary; skipped if it is absent)', () => {
  // 24 MiB of zeros is stored by zstd as RLE blocks: a few hundred bytes for all of it.
  const original = Buffer.concat([
    randomBytes(MiB / 2),
    Buffer.alloc(24 * MiB),
    Buffer.from('tensor '.repeat(150_000)),
    randomBytes(MiB / 2),
  ])
  const sha256 = createHash('sha256').update(original).digest('hex')

  it('bounds the output of every push, where one unsplit push gives all of it at once', () => {
    const compressed = zstd(original)
    expect(compressed.length).toBeLessThan(2 * MiB)
    const split = decode(compressed, MiB)
    expect(split).toMatchObject({ sha256, size: original.length })
    expect(split.largestPush).toBeLessThanOrEqual(BOUND)
    let unsplit = 0
    new Decompress((d) => (unsplit += d.length)).push(compressed, true)
    expect(unsplit).toBe(original.length)
  })

  it('headers cut across reads of any size, several frames, checksums and skippable frames', () => {
    const cut = 5 * MiB + 3
    const compressed = Buffer.concat([
      zstd(original.subarray(0, cut), ['-19']),
      skippableFrame(Buffer.from('index')),
      zstd(original.subarray(cut), ['--no-check']),
      skippableFrame(Buffer.alloc(0)),
    ])
    for (const readSize of [7, 4093, MiB]) {
      const r = decode(compressed, readSize)
      expect(r).toMatchObject({ sha256, size: original.length })
      expect(r.largestPush).toBeLessThanOrEqual(BOUND)
    }
  })
})

describe('ZstdSplitter: window sizes', () => {
  const magic = [0x28, 0xb5, 0x2f, 0xfd]

  it('refuses a window above the limit, even with the header arriving a byte at a time', () => {
    const header = Buffer.from([...magic, 0x00, 18 << 3]) // windowLog 28: 256 MiB
    const splitter = new ZstdSplitter(MAX_OUTPUT, LIMIT)
    const err = (() => {
      try {
        for (const byte of header) splitter.split(Buffer.from([byte]))
      } catch (e) {
        return e
      }
      return null
    })()
    expect(err).toBeInstanceOf(ZstdWindowTooLarge)
    expect((err as ZstdWindowTooLarge).windowSize).toBe(256 * MiB)
  })

  it('accepts the limit itself (windowLog 27)', () => {
    const header = Buffer.from([...magic, 0x00, 17 << 3])
    expect(() => new ZstdSplitter(MAX_OUTPUT, LIMIT).split(header)).not.toThrow()
  })

  it('a single-segment frame: its content size is its window', () => {
    // Descriptor: 8-byte content size, single segment.
    const big = Buffer.alloc(8)
    big.writeBigUInt64LE(BigInt(LIMIT + 1))
    const header = Buffer.concat([Buffer.from([...magic, (3 << 6) | (1 << 5)]), big])
    expect(() => new ZstdSplitter(MAX_OUTPUT, LIMIT).split(header)).toThrow(ZstdWindowTooLarge)
    big.writeBigUInt64LE(BigInt(LIMIT))
    const ok = Buffer.concat([Buffer.from([...magic, (3 << 6) | (1 << 5)]), big])
    expect(() => new ZstdSplitter(MAX_OUTPUT, LIMIT).split(ok)).not.toThrow()
  })

  it('bytes that are not zstd: no cuts and no error of its own (the decompressor judges)', () => {
    const junk = Buffer.from('this is not a zstd stream at all')
    expect(new ZstdSplitter(MAX_OUTPUT, LIMIT).split(junk)).toEqual([junk])
  })
})
