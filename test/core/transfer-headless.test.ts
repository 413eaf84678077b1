// A fetch that is one stream (one connection per file, or an object known to fit in one part) sends
// no HEAD: the GET of the whole object answers what the HEAD would. Everything a HEAD guarded must
// hold all the same: typed errors, size checks before any byte is written, checksums, resume.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, beforeAll, afterAll, beforeEach } from 'vitest'
import { openObject } from '../../src/core/transfer/head'
import { ObjectStore } from '../../src/core/transfer/object-store'
import { DEFAULT_TUNING } from '../../src/shared/transfer'
import { TEST_CREDENTIALS } from '../support/s3-server'
import { sha256File } from '../support/temp'
import { KiB, MiB, expectFailure, leftovers, startHarness, type Harness } from './transfer-harness'

const ONE = { connectionsPerFile: 1 }

describe('runTransfer without a HEAD', () => {
  let h: Harness
  let n = 0
  let key: string
  let obj: Awaited<ReturnType<Harness['s3']['putRandom']>>
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => h?.close())
  beforeEach(async () => {
    key = `headless/m${++n}.safetensors`
    obj = await h.s3.putRandom(key, 700 * KiB + 3)
    h.proxy.clearRules()
    h.proxy.resetLog()
  })
  const uri = (): string => `s3://models/${key}`
  const local = (): string => `${h.dir}/headless-${n}.safetensors`

  it('fetches a one-stream object with a single GET: no HEAD, no Range, no If-Match, verified', async () => {
    const result = await h.download({ s3Uri: uri(), localPath: local() }, { tuning: ONE })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(result.verified.map((v) => `${v.source}:${v.algorithm}`)).toEqual(['etag:md5-etag'])
    expect(result.etag).toBe(obj.etag)
    expect(h.proxy.requests.map((r) => [r.method, r.range, r.ifMatch])).toEqual([
      ['GET', undefined, undefined],
    ])
    expect(leftovers(result.localPath)).toEqual([])
  })

  it('does the same for an object the config says fits in one part, whatever the connections', async () => {
    const result = await h.download(
      { s3Uri: uri(), localPath: local(), expectedSize: obj.body.length },
      { tuning: { connectionsPerFile: 4, partSize: 1 * MiB } },
    )
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.filter((r) => r.method === 'HEAD')).toHaveLength(0)
  })

  it('fetches a 0-byte object', async () => {
    await h.s3.putRandom('headless/empty.bin', 0)
    const result = await h.download(
      { s3Uri: 's3://models/headless/empty.bin', localPath: local() },
      { tuning: ONE },
    )
    expect(result.size).toBe(0)
    expect(await sha256File(result.localPath)).toBe(createHash('sha256').digest('hex'))
    expect(h.proxy.requests.map((r) => r.method)).toEqual(['GET'])
  })

  it.each([
    [404, 'NoSuchKey', 'not_found'],
    [403, 'AccessDenied', 'access_denied'],
    [400, 'ExpiredToken', 'credentials_expired'],
    [403, 'InvalidObjectState', 'not_restored'],
  ] as const)(
    'maps a GET answered %i %s to %s, naming the object, and creates nothing',
    async (status, code, ours) => {
      h.proxy.setRules([{ match: { method: 'GET' }, fault: { kind: 'status', status, code } }])
      const localPath = local()
      const err = await expectFailure(h.download({ s3Uri: uri(), localPath }, { tuning: ONE }), ours)
      expect(err.message).toContain(uri())
      expect(existsSync(localPath)).toBe(false)
      expect(leftovers(localPath)).toEqual([])
      // A permanent error, not retried: sent once directly; an answer that may mean a wrong route or
      // signature (400, 403) is asked once more through the SDK, whose answer is the one classified.
      const askedSdk = status === 400 || status === 403
      expect(h.proxy.requests.map((r) => r.viaSdk)).toEqual(askedSdk ? [false, true] : [false])
    },
  )

  it('retries a 503 on the opening GET', async () => {
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 2, fault: { kind: 'status', status: 503, code: 'SlowDown' } },
    ])
    const result = await h.download({ s3Uri: uri(), localPath: local() }, { tuning: ONE })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.map((r) => r.status)).toEqual([503, 503, 200])
  })

  it('refuses a size that differs from the config before a byte is written, and closes the answer', async () => {
    const localPath = local()
    const err = await expectFailure(
      h.download({ s3Uri: uri(), localPath, expectedSize: obj.body.length + 1 }, { tuning: ONE }),
      'size_mismatch',
    )
    expect(err.message).toContain(String(obj.body.length))
    expect(existsSync(localPath)).toBe(false)
    expect(leftovers(localPath)).toEqual([])
    // The answer was not read: far fewer bytes than the object crossed to us.
    await new Promise((r) => setTimeout(r, 50))
    expect(h.proxy.requests[0]!.done).toBe(true)
  })

  it('refuses a folder at the local path after the GET opened, and closes the answer', async () => {
    const localPath = local()
    await mkdir(localPath)
    await expectFailure(h.download({ s3Uri: uri(), localPath }, { tuning: ONE }), 'path_is_directory')
    await new Promise((r) => setTimeout(r, 50))
    expect(h.proxy.requests[0]!.done).toBe(true)
  })

  it("verifies a checksum from the GET's headers, and catches a wrong one", async () => {
    const sha = createHash('sha256').update(obj.body).digest('base64')
    h.proxy.setRules([
      {
        fault: {
          kind: 'headers',
          headers: { 'x-amz-checksum-sha256': sha, 'x-amz-checksum-type': 'FULL_OBJECT' },
        },
      },
    ])
    const result = await h.download({ s3Uri: uri(), localPath: local() }, { tuning: ONE })
    expect(result.verified.map((v) => `${v.source}:${v.algorithm}`)).toEqual(['s3:sha256'])
    h.proxy.setRules([
      {
        fault: {
          kind: 'headers',
          headers: { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-type': 'FULL_OBJECT' },
        },
      },
    ])
    // (the fresh start after the first mismatch asks with a HEAD, which says the same)
    const localPath = `${local()}.2`
    await expectFailure(h.download({ s3Uri: uri(), localPath }, { tuning: ONE }), 'checksum_mismatch')
    expect(existsSync(localPath)).toBe(false)
  })

  it('resumes a reset from the last byte with If-Match and a Range', async () => {
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 1, fault: { kind: 'reset-after', bytes: 300 * KiB } },
    ])
    const result = await h.download({ s3Uri: uri(), localPath: local() }, { tuning: ONE })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const [first, retry] = h.proxy.requests
    expect(first!.range).toBeUndefined()
    expect(retry!.ifMatch).toBe(obj.etag)
    expect(Number(/^bytes=(\d+)-/.exec(retry!.range ?? '')?.[1])).toBeGreaterThan(0)
  })

  it('starts over from zero (with a HEAD) when the object changed after the GET opened', async () => {
    h.proxy.setRules([
      {
        match: { method: 'GET', hasRange: false },
        times: 1,
        fault: { kind: 'reset-after', bytes: 200 * KiB },
      },
      {
        match: { method: 'GET', hasRange: true },
        times: 1,
        fault: { kind: 'etag', etag: '"0123456789abcdef0123456789abcdef"' },
      },
    ])
    const result = await h.download({ s3Uri: uri(), localPath: local() }, { tuning: ONE })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.filter((r) => r.status === 412)).toHaveLength(1)
    expect(h.proxy.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1)
  })

  it('sends a HEAD first when there is resume data to check', async () => {
    const localPath = local()
    const controller = new AbortController()
    await h
      .download(
        { s3Uri: uri(), localPath },
        {
          tuning: { ...ONE, bandwidthLimitBps: 512 * KiB },
          signal: controller.signal,
          onProgress: (p) => {
            if (p.bytesDone >= 200 * KiB) controller.abort('paused')
          },
        },
      )
      .catch(() => undefined)
    // a pause keeps .part and records what it holds
    expect(existsSync(`${localPath}.part.json`)).toBe(true)
    h.proxy.resetLog()
    const result = await h.download({ s3Uri: uri(), localPath }, { tuning: ONE })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests[0]!.method).toBe('HEAD')
    expect(result.bytesResumed).toBeGreaterThan(0)
  })
})

describe('openObject', () => {
  // Direct (a path-style custom endpoint) and through the SDK (its endpoint rules decide).
  it.each([
    ['sent directly', true, false],
    ['sent through the SDK', false, true],
  ])(
    'asks for checksum headers on the wire, without the SDK validating the body itself (%s)',
    async (_how, forcePathStyle, viaSdk) => {
      let seen: IncomingHttpHeaders = {}
      const body = Buffer.from('hello')
      const server = createServer((req, res) => {
        seen = req.headers
        res.writeHead(200, {
          'Content-Length': body.length,
          ETag: `"${createHash('md5').update(body).digest('hex')}"`,
          // deliberately wrong: the SDK must not check it (we do, once, with our own hasher)
          'x-amz-checksum-crc32': 'AAAAAA==',
          'x-amz-checksum-type': 'FULL_OBJECT',
        })
        res.end(body)
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const port = (server.address() as AddressInfo).port
      const store = new ObjectStore(
        { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle, ...TEST_CREDENTIALS },
        DEFAULT_TUNING,
        {},
      )
      try {
        const { info, response } = await openObject(
          store,
          { bucket: 'b', key: 'k' },
          new AbortController().signal,
          1,
        )
        expect(seen['amz-sdk-invocation-id'] !== undefined).toBe(viaSdk)
        expect(seen['x-amz-checksum-mode']).toBe('ENABLED')
        expect(String(seen['authorization'])).toMatch(/SignedHeaders=[^,]*x-amz-checksum-mode/)
        expect(info).toMatchObject({
          size: 5,
          checksum: { algorithm: 'crc32', hex: '00000000', source: 's3' },
        })
        const parts: Buffer[] = []
        for await (const c of response.Body as AsyncIterable<Buffer>) parts.push(c)
        expect(Buffer.concat(parts).toString()).toBe('hello')
      } finally {
        store.destroy()
        server.closeAllConnections()
        await new Promise((r) => server.close(r))
      }
    },
  )
})
