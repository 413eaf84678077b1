// The two hashers on their own: objects of 256 KiB and less hash inline, larger ones on the shared
// hashing threads.
import { createHash, randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SequentialHasher } from '../../src/core/transfer/sequential-hasher'
import { ThreadedHasher } from '../../src/core/transfer/threaded-hasher'
import { hashThreadCount, startHashTask } from '../../src/core/transfer/hash-threads'
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

  it('many files share the hashing threads, each with its own digest', async () => {
    const files = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const bytes = randomBytes(300 * 1024 + i * 4099)
        const path = join(dir, `many-${i}.bin`)
        await writeFile(path, bytes)
        return {
          fh: await open(path, 'r'),
          md5: createHash('md5').update(bytes).digest('hex'),
          size: bytes.length,
        }
      }),
    )
    try {
      const hashers = files.map(
        (f) => new ThreadedHasher(['md5-etag'], f.fh.fd, new AbortController().signal),
      )
      const digests = await Promise.all(hashers.map((h, i) => h.finish(files[i]!.size)))
      digests.forEach((d, i) => expect(d.get('md5-etag')).toBe(files[i]!.md5))
      expect(hashThreadCount()).toBeGreaterThanOrEqual(1)
      expect(hashThreadCount()).toBeLessThanOrEqual(Math.max(1, Math.min(4, availableParallelism() - 1)))
    } finally {
      await Promise.all(files.map((f) => f.fh.close()))
    }
  })

  it('an empty file has the digest of no bytes', async () => {
    const path = join(dir, 'empty.bin')
    await writeFile(path, Buffer.alloc(0))
    const fh = await open(path, 'r')
    try {
      const h = new ThreadedHasher(['sha256', 'crc32'], fh.fd, new AbortController().signal)
      const d = await h.finish(0)
      expect(d.get('sha256')).toBe(createHash('sha256').digest('hex'))
      expect(d.get('crc32')).toBe('00000000')
    } finally {
      await fh.close()
    }
  })

  it('a dropped hash stops between slices and lets go of the file', async () => {
    const fh = await open(file, 'r')
    try {
      // 9 MiB is three slices: the drop, posted right behind the finish, lands before the last one.
      const task = startHashTask(['sha256'], fh.fd)
      const result = task.finish(data.length)
      await task.drop()
      await expect(result).rejects.toThrow(/dropped/)
    } finally {
      await fh.close()
    }
  })

  it('a read past the end fails that file only; the thread goes on with the others', async () => {
    const fh = await open(file, 'r')
    try {
      const bad = startHashTask(['md5-etag'], fh.fd).finish(data.length + 10)
      const good = new ThreadedHasher(['md5-etag'], fh.fd, new AbortController().signal).finish(data.length)
      await expect(bad).rejects.toThrow(/could not read back byte/)
      expect((await good).get('md5-etag')).toBe(md5)
    } finally {
      await fh.close()
    }
  })

  it('a stop while hashing rejects finish with the reason and drops the hash', async () => {
    const fh = await open(file, 'r')
    try {
      const ac = new AbortController()
      const h = new ThreadedHasher(['sha256'], fh.fd, ac.signal)
      const result = h.finish(data.length)
      ac.abort('paused')
      await expect(result).rejects.toMatchObject({ reason: 'paused' })
    } finally {
      await fh.close()
    }
  })
})
