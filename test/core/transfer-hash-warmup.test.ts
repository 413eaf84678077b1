// A small file does not wait for a hashing thread to start: while none is up it is hashed on the
// transfer's own thread from the arriving bytes, and a thread starts for the files after it. (Its own
// file: the hashing threads are per process, and this needs a process that has none yet.)
import { describe, expect, it } from 'vitest'
import { hashThreadCount, hashThreadOnline } from '../../src/core/transfer/hash-threads'
import { sha256File } from '../support/temp'
import { MiB, useHarness, type Harness } from './transfer-harness'

const ONE = { connectionsPerFile: 1 }

describe('hashing thread warm-up', () => {
  let h!: Harness
  useHarness((started) => (h = started))
  const reRead = (): string[] => h.logs.filter((l) => /re-reading/.test(l))

  it('hashes the first small file inline, starts a thread, and hands it the next ones', async () => {
    const obj = await h.s3.putRandom('warmup/a.bin', 1 * MiB)
    expect(hashThreadCount()).toBe(0)
    const first = await h.download({ s3Uri: 's3://models/warmup/a.bin' }, { tuning: ONE })
    expect(await sha256File(first.localPath)).toBe(obj.sha256)
    expect(first.verified.map((v) => v.algorithm)).toEqual(['md5-etag'])
    expect(reRead()).toEqual([])
    expect(hashThreadCount()).toBe(1)

    const deadline = Date.now() + 5_000
    while (!hashThreadOnline() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(hashThreadOnline()).toBe(true)
    const second = await h.download({ s3Uri: 's3://models/warmup/a.bin' }, { tuning: ONE })
    expect(await sha256File(second.localPath)).toBe(obj.sha256)
    expect(reRead()).toHaveLength(1)
  })
})
