import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { existsSync } from 'node:fs'
import { Crc64Nvme } from '@aws-sdk/checksums/crc'
import { describe, expect, it, beforeAll, afterAll, beforeEach } from 'vitest'
import { sha256File } from '../support/temp'
import { KiB, leftovers, startHarness, TEST_TUNING, type Harness, expectFailure } from './transfer-harness'

const P = TEST_TUNING.partSize
const SIZE = 3 * P + 4321

describe('runTransfer against a faulty server', () => {
  let h: Harness
  let n = 0
  let key: string
  let obj: Awaited<ReturnType<Harness['s3']['putRandom']>>
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => h?.close())
  beforeEach(async () => {
    key = `faults/m${++n}.safetensors`
    obj = await h.s3.putRandom(key, SIZE)
    h.proxy.clearRules()
    h.proxy.resetLog()
  })
  const uri = (): string => `s3://models/${key}`

  it('resumes a reset range from its last received byte, not from its start', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', hasRange: true },
        times: 2,
        fault: { kind: 'reset-after', bytes: 100 * KiB },
      },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const gets = h.proxy.requests.filter((r) => r.method === 'GET')
    const cut = gets.filter((r) => r.faults.includes('reset-after'))
    expect(cut).toHaveLength(2)
    for (const c of cut) {
      const start = Number(/bytes=(\d+)-/.exec(c.range!)![1])
      // The retry starts after the bytes that arrived (a TCP reset may drop some the proxy had sent).
      const retry = gets.find((g) => {
        const s = Number(/bytes=(\d+)-/.exec(g.range ?? '')?.[1] ?? -1)
        return g !== c && s > start && s <= start + c.bytesSent
      })
      expect(retry, `a retry starting within (${start}, ${start + c.bytesSent}]`).toBeDefined()
    }
    // At most the cut-off responses' bytes crossed the wire twice.
    expect(h.proxy.totalBodyBytes((r) => r.method === 'GET')).toBeLessThanOrEqual(SIZE + 2 * 100 * KiB)
  })

  it('detects a stalled connection and retries it', async () => {
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 1, fault: { kind: 'stall-after', bytes: 50 * KiB } },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(
      h.logs.some((l) => /stalled/.test(l)),
      h.logs.join('\n'),
    ).toBe(true)
  })

  for (const [status, code] of [
    [500, 'InternalError'],
    [503, 'SlowDown'],
  ] as const) {
    it(`retries ${status} ${code} with backoff`, async () => {
      h.proxy.setRules([{ match: { method: 'GET' }, times: 2, fault: { kind: 'status', status, code } }])
      const result = await h.download({ s3Uri: uri() })
      expect(await sha256File(result.localPath)).toBe(obj.sha256)
    })
  }

  it('gives up after maxAttempts of a persistent 503, keeping the partial file for later', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', rangeStartAtLeast: P },
        fault: { kind: 'status', status: 503, code: 'SlowDown' },
      },
    ])
    const err = await expectFailure(
      h.download({ s3Uri: uri(), localPath: `${h.dir}/giveup.bin` }),
      'server_error',
    )
    expect(err.message).toMatch(/gave up after 4 attempts/)
    expect(err.retryable).toBe(true)
    expect(existsSync(`${h.dir}/giveup.bin`)).toBe(false)
    expect(existsSync(`${h.dir}/giveup.bin.part`)).toBe(true)
    expect(existsSync(`${h.dir}/giveup.bin.part.json`)).toBe(true)
  })

  it('names the object when it is not found (404) or access is denied (403), before any GET', async () => {
    let err = await expectFailure(h.download({ s3Uri: 's3://models/nope/missing.safetensors' }), 'not_found')
    expect(err.message).toContain('s3://models/nope/missing.safetensors')
    h.proxy.setRules([
      { match: { method: 'HEAD' }, fault: { kind: 'status', status: 403, code: 'AccessDenied' } },
    ])
    err = await expectFailure(h.download({ s3Uri: uri() }), 'access_denied')
    expect(err.message).toContain(uri())
    expect(h.proxy.requests.filter((r) => r.method === 'GET')).toHaveLength(0)
  })

  it('rejects a size that differs from the config before fetching a byte', async () => {
    const err = await expectFailure(h.download({ s3Uri: uri(), expectedSize: SIZE + 1 }), 'size_mismatch')
    expect(err.message).toContain(String(SIZE))
    expect(h.proxy.requests.filter((r) => r.method === 'GET')).toHaveLength(0)
  })

  it('refuses a 206 whose Content-Range does not start where it asked, then succeeds on retry', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', hasRange: true },
        times: 1,
        fault: { kind: 'wrong-content-range', shiftBy: 10 },
      },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
  })

  it('retries a body shorter than announced', async () => {
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 2, fault: { kind: 'truncate-body', bytes: 10 * KiB } },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
  })

  it('never writes a body longer than asked', async () => {
    h.proxy.setRules([
      { match: { method: 'GET', hasRange: true }, times: 1, fault: { kind: 'extra-body', bytes: 999 } },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(result.size).toBe(SIZE)
  })

  it('starts over once when the object changes mid-download (412 on If-Match)', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', rangeStartAtLeast: P },
        times: 1,
        fault: { kind: 'etag', etag: '"0123456789abcdef0123456789abcdef"' },
      },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.filter((r) => r.status === 412)).toHaveLength(1)
    expect(h.proxy.requests.filter((r) => r.method === 'HEAD')).toHaveLength(2)
  })

  it('fails as object_changed when it keeps changing, and leaves no partial file', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', rangeStartAtLeast: P },
        fault: { kind: 'etag', etag: '"0123456789abcdef0123456789abcdef"' },
      },
    ])
    const localPath = `${h.dir}/changing.bin`
    await expectFailure(h.download({ s3Uri: uri(), localPath }), 'object_changed')
    expect(existsSync(localPath)).toBe(false)
    expect(leftovers(localPath)).toEqual([])
  })

  it('re-fetches once after wrong bytes, and fails checksum_mismatch if they stay wrong', async () => {
    h.proxy.setRules([
      { match: { method: 'GET', rangeStartAtLeast: P }, times: 1, fault: { kind: 'corrupt', atByte: 77 } },
    ])
    const ok = await h.download({ s3Uri: uri() })
    expect(await sha256File(ok.localPath)).toBe(obj.sha256)

    h.proxy.setRules([
      { match: { method: 'GET', rangeStartAtLeast: P }, fault: { kind: 'corrupt', atByte: 77 } },
    ])
    const localPath = `${h.dir}/corrupt.bin`
    const err = await expectFailure(h.download({ s3Uri: uri(), localPath }), 'checksum_mismatch')
    expect(err.message).toMatch(/md5/)
    expect(existsSync(localPath)).toBe(false)
    expect(leftovers(localPath)).toEqual([])
  })

  it('fails checksum_mismatch against a wrong sha256 in the job', async () => {
    const localPath = `${h.dir}/wrongsha.bin`
    const err = await expectFailure(
      h.download({ s3Uri: uri(), localPath, sha256: 'ab'.repeat(32) }),
      'checksum_mismatch',
    )
    expect(err.message).toMatch(/sha256 in the model config/)
    expect(existsSync(localPath)).toBe(false)
  })

  it('verifies full-object checksums S3 reports (sha256, crc32, crc64nvme) and catches a wrong one', async () => {
    const body = obj.body
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    const nvme = new Crc64Nvme()
    nvme.update(body)
    const cases = {
      sha256: { 'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64') },
      crc32: { 'x-amz-checksum-crc32': crc.toString('base64') },
      crc64nvme: { 'x-amz-checksum-crc64nvme': Buffer.from(await nvme.digest()).toString('base64') },
    }
    for (const [algorithm, headers] of Object.entries(cases)) {
      h.proxy.setRules([
        {
          match: { method: 'HEAD' },
          fault: { kind: 'headers', headers: { ...headers, 'x-amz-checksum-type': 'FULL_OBJECT' } },
        },
      ])
      const result = await h.download({ s3Uri: uri() })
      expect(result.verified.map((v) => `${v.source}:${v.algorithm}`)).toEqual([`s3:${algorithm}`])
    }
    h.proxy.setRules([
      {
        match: { method: 'HEAD' },
        fault: {
          kind: 'headers',
          headers: { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-type': 'FULL_OBJECT' },
        },
      },
    ])
    await expectFailure(h.download({ s3Uri: uri() }), 'checksum_mismatch')
  })

  it('ignores COMPOSITE (multipart) checksums it cannot recompute, falling back to nothing stronger', async () => {
    h.proxy.setRules([
      {
        match: { method: 'HEAD' },
        fault: {
          kind: 'headers',
          headers: { 'x-amz-checksum-crc32': 'AAAAAA==-3', 'x-amz-checksum-type': 'COMPOSITE' },
        },
      },
    ])
    const result = await h.download({ s3Uri: uri() })
    expect(result.verified.map((v) => v.algorithm)).toEqual(['md5-etag'])
  })
})
