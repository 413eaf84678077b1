// The two hashers on their own: the transfer tests' objects are small, so they hash inline, and only
// large objects reach the hashing thread.
import { createHash, randomBytes } from 'node:crypto'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SequentialHasher } from '../../src/core/transfer/sequential-hasher'
import { ThreadedHasher } from '../../src/core/transfer/threaded-hasher'
import { makeTempDir, removeTempDir } from '../support/temp'

const MiB = 1024 * 1024

describe('hashers', () => {
  let dir: string
  let file: string
  const data = randomBytes(9 * MiB + 123)
  const md5 = createHash('md5').update(data).digest('hex')
  const sha256 = createHash('sha256').update(data).digest('hex')
  beforeAll(async () => {
    dir = await makeTempDir('modeldl-hash-')
    file = join(dir, 'data.bin')
    await writeFile(file, data)
  })
  afterAll(() => removeTempDir(dir))

  it('ThreadedHasher reads the written prefix back as it grows and gives every digest', async () => {
    const fh = await open(file, 'r')
    try {
      const h = new ThreadedHasher(['md5-etag', 'sha256'], fh.fd, new AbortController().signal)
      for (let end = 0; end < data.length; end += 2 * MiB) h.advanceTo(end)
      const digests = await h.finish(data.length)
      expect(digests.get('md5-etag')).toBe(md5)
      expect(digests.get('sha256')).toBe(sha256)
      expect(h.bytesReRead).toBe(data.length)
    } finally {
      await fh.close()
    }
  })

  it('SequentialHasher hashes bytes that arrive in order without reading them back', async () => {
    const fh = await open(file, 'r')
    try {
      const h = new SequentialHasher(['md5-etag'], fh, new AbortController().signal)
      for (let at = 0; at < data.length; at += 64 * 1024) {
        const chunk = data.subarray(at, Math.min(at + 64 * 1024, data.length))
        h.feed(at, chunk)
        h.advanceTo(at + chunk.length)
      }
      expect((await h.finish(data.length)).get('md5-etag')).toBe(md5)
      expect(h.bytesReRead).toBe(0)
    } finally {
      await fh.close()
    }
  })

  it('SequentialHasher reads back what arrived out of order', async () => {
    const fh = await open(file, 'r')
    try {
      const h = new SequentialHasher(['sha256'], fh, new AbortController().signal)
      // the second half arrives first (another connection), then the first half
      h.feed(5 * MiB, data.subarray(5 * MiB))
      h.feed(0, data.subarray(0, 5 * MiB))
      h.advanceTo(5 * MiB)
      expect((await h.finish(data.length)).get('sha256')).toBe(sha256)
      expect(h.bytesReRead).toBe(data.length - 5 * MiB)
    } finally {
      await fh.close()
    }
  })
})
