import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OrderedWriter } from '../../src/core/transfer/ordered-writer'

const BATCH = 256 * 1024

describe('OrderedWriter', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mdl-writer-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Writes `batches` through a writer, counting the writes that went to the thread pool (fh.writev). */
  async function writeAll(batches: number, now?: () => number) {
    const fh = await open(join(dir, 'f.part'), 'w+')
    let pooled = 0
    const writev = fh.writev.bind(fh)
    fh.writev = ((buffers: NodeJS.ArrayBufferView[], position?: number) => {
      pooled++
      return writev(buffers, position)
    }) as typeof fh.writev
    const written: [number, number][] = []
    const released: number[] = []
    const writer = new OrderedWriter(fh, dir, 4, (o, l) => written.push([o, l]), now)
    const data = randomBytes(batches * BATCH)
    for (let i = 0; i < batches; i++) {
      const chunk = Buffer.from(data.subarray(i * BATCH, (i + 1) * BATCH))
      await writer.write([chunk], i * BATCH, BATCH, () => released.push(i))
    }
    await writer.drain()
    await fh.close()
    const onDisk = await readFile(join(dir, 'f.part'))
    return { pooled, written, released, same: onDisk.equals(data) }
  }

  it('writes synchronously while writes are quick, reporting each in order and releasing its buffer', async () => {
    const r = await writeAll(8)
    expect(r.same).toBe(true)
    expect(r.pooled).toBe(0)
    expect(r.written).toEqual(Array.from({ length: 8 }, (_, i) => [i * BATCH, BATCH]))
    expect(r.released).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('moves a file to the thread pool after three slow writes, keeping the order and the bytes', async () => {
    // Every write looks 30 ms long: over the 20 ms a write may block the event loop.
    let t = 0
    const r = await writeAll(8, () => (t += 30))
    expect(r.same).toBe(true)
    expect(r.pooled).toBe(5)
    expect(r.written).toEqual(Array.from({ length: 8 }, (_, i) => [i * BATCH, BATCH]))
    expect(r.released.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('forgives one slow write (a journal commit) and stays synchronous', async () => {
    let calls = 0
    // The second write's start and end are 40 ms apart; every other write takes no time.
    const r = await writeAll(8, () => (++calls === 4 ? 40 : 0))
    expect(r.same).toBe(true)
    expect(r.pooled).toBe(0)
  })
})
