import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createServer, request } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startFaultProxy } from './fault-proxy'
import type { FaultProxy } from './fault-proxy'
import { startS3Server } from './s3-server'
import type { RandomObject, TestS3Server } from './s3-server'

const KEY = 'models/checkpoints/obj.bin'
const SIZE = 64 * 1024

interface RawResult {
  status?: number
  headers?: IncomingHttpHeaders
  body: Buffer
  /** 'end' for a complete response, otherwise the error code the client saw. */
  outcome: string
}

/** An unsigned GET/HEAD with node:http (s3rver serves anonymous requests), no keep-alive. */
function raw(
  url: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; giveUpAfterMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let done = false
    const finish = (result: Omit<RawResult, 'body'>): void => {
      if (done) return
      done = true
      resolve({ ...result, body: Buffer.concat(chunks) })
    }
    const req = request(`${url}${path}`, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      agent: false,
    })
    let response: { status?: number; headers?: IncomingHttpHeaders } = {}
    req.on('response', (res) => {
      response = { status: res.statusCode, headers: res.headers }
      let timer: NodeJS.Timeout | undefined
      const idle = (): void => {
        if (opts.giveUpAfterMs === undefined) return
        clearTimeout(timer)
        timer = setTimeout(() => {
          finish({ status: res.statusCode, headers: res.headers, outcome: 'gave-up' })
          req.destroy()
        }, opts.giveUpAfterMs)
      }
      idle()
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        idle()
      })
      res.on('end', () => {
        clearTimeout(timer)
        finish({ status: res.statusCode, headers: res.headers, outcome: 'end' })
      })
      res.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        finish({ status: res.statusCode, headers: res.headers, outcome: err.code ?? err.message })
      })
    })
    // A reset can surface on the request rather than the response: keep what the response said.
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ...response, outcome: err.code ?? err.message }))
    req.end()
  })
}

/** GetObject through the SDK, reading the body; reports how many bytes arrived before any error. */
async function sdkGet(
  client: S3Client,
  input: { Range?: string; IfMatch?: string } = {},
): Promise<{ bytes: Buffer; error?: Error & { $metadata?: { httpStatusCode?: number }; code?: string } }> {
  const chunks: Buffer[] = []
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: 'models', Key: KEY, ...input }))
    for await (const chunk of out.Body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk))
    return { bytes: Buffer.concat(chunks) }
  } catch (err) {
    return { bytes: Buffer.concat(chunks), error: err as Error }
  }
}

describe('fault proxy in front of s3rver', () => {
  let s3: TestS3Server
  let proxy: FaultProxy
  let client: S3Client
  let obj: RandomObject
  const path = `/models/${KEY}`

  beforeAll(async () => {
    s3 = await startS3Server()
    obj = await s3.putRandom(KEY, SIZE, 1)
    proxy = await startFaultProxy(s3.endpoint)
    // One attempt: the tests look at what a single request sees, not at the SDK's retries.
    client = s3.clientFor(proxy.url, { maxAttempts: 1 })
  })

  afterEach(() => {
    proxy.clearRules()
    proxy.resetLog()
    proxy.enforceIfMatch = true
  })

  afterAll(async () => {
    client?.destroy()
    await proxy?.close()
    await s3?.close()
  })

  it('forwards signed requests unchanged (Host kept, so SigV4 verifies) and logs body bytes', async () => {
    const got = await sdkGet(client)
    expect(got.error).toBeUndefined()
    expect(got.bytes.equals(obj.body)).toBe(true)

    const put = await client.send(
      new PutObjectCommand({ Bucket: 'models', Key: 'via-proxy.txt', Body: Buffer.from('hello') }),
    )
    expect(put.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"')
    expect((await s3.get('via-proxy.txt')).toString()).toBe('hello')

    expect(proxy.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', path, 200],
      ['PUT', '/models/via-proxy.txt', 200],
    ])
    expect(proxy.requests[0]?.bytesSent).toBe(SIZE)
    expect(proxy.totalBodyBytes((r) => r.method === 'GET')).toBe(SIZE)
  })

  it('forwards method, path, query, Host, every header (order and case) and the body unchanged', async () => {
    const seen: { method?: string; url?: string; rawHeaders?: string[]; body?: string } = {}
    const echo = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        Object.assign(seen, {
          method: req.method,
          url: req.url,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks).toString(),
        })
        res.end('ok')
      })
    })
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    const port = (echo.address() as AddressInfo).port
    const own = await startFaultProxy(`http://127.0.0.1:${port}`)
    try {
      const proxyHost = new URL(own.url).host
      const sent = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(`${own.url}/b/k%20ey?partNumber=2&x-id=Put`, {
          method: 'PUT',
          agent: false,
          headers: { 'X-Amz-Date': '20250101T000000Z', 'x-amz-meta-Mixed': 'A  b', 'Content-Length': '5' },
        })
        req.on('response', (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        })
        req.on('error', reject)
        req.end('hello')
      })
      expect(sent).toBe(200)
      expect(seen.method).toBe('PUT')
      expect(seen.url).toBe('/b/k%20ey?partNumber=2&x-id=Put')
      expect(seen.body).toBe('hello')
      const headers = seen.rawHeaders ?? []
      expect(headers.slice(0, 6)).toEqual([
        'X-Amz-Date',
        '20250101T000000Z',
        'x-amz-meta-Mixed',
        'A  b',
        'Content-Length',
        '5',
      ])
      expect(headers[headers.indexOf('Host') + 1]).toBe(proxyHost)
    } finally {
      await own.close()
      await new Promise((resolve) => echo.close(resolve))
    }
  })

  it('s3rver quirk: SigV4 signatures are not verified, only the access key id and the date', async () => {
    // If this starts failing, s3rver began verifying signatures: the proxy already keeps Host intact for it.
    const wrongSecretClient = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
      forcePathStyle: true,
      maxAttempts: 1,
    })
    const ok = await wrongSecretClient.send(new HeadObjectCommand({ Bucket: 'models', Key: KEY }))
    expect(ok.ContentLength).toBe(SIZE)
    wrongSecretClient.destroy()

    const unknownKey = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      maxAttempts: 1,
    })
    await expect(unknownKey.send(new GetObjectCommand({ Bucket: 'models', Key: KEY }))).rejects.toMatchObject(
      {
        name: 'InvalidAccessKeyId',
        $metadata: { httpStatusCode: 403 },
      },
    )
    unknownKey.destroy()
  })

  it('passes ranged GETs through: bytes=10-19 gives 206 and those bytes', async () => {
    const res = await raw(proxy.url, path, { headers: { Range: 'bytes=10-19' } })
    expect(res.status).toBe(206)
    expect(res.headers?.['content-range']).toBe(`bytes 10-19/${SIZE}`)
    expect(res.body.equals(obj.body.subarray(10, 20))).toBe(true)

    const sdk = await sdkGet(client, { Range: 'bytes=10-19' })
    expect(sdk.bytes.equals(obj.slice(10, 20))).toBe(true)
    expect(proxy.requests.map((r) => [r.range, r.status, r.bytesSent])).toEqual([
      ['bytes=10-19', 206, 10],
      ['bytes=10-19', 206, 10],
    ])
  })

  it('reset-after: the client gets exactly N bytes, then ECONNRESET', async () => {
    proxy.setRules([{ fault: { kind: 'reset-after', bytes: 1000 } }])
    const res = await raw(proxy.url, path)
    expect(res.status).toBe(200)
    expect(res.outcome).toBe('ECONNRESET')
    expect(res.body.equals(obj.body.subarray(0, 1000))).toBe(true)

    const sdk = await sdkGet(client)
    expect(sdk.error).toBeDefined()
    expect(sdk.bytes.length).toBe(1000)
    expect(proxy.requests.map((r) => r.bytesSent)).toEqual([1000, 1000])
    expect(proxy.requests.every((r) => r.faults.includes('reset-after'))).toBe(true)
  })

  it('stall-after: N bytes, then silence on an open connection', async () => {
    proxy.setRules([{ fault: { kind: 'stall-after', bytes: 500 } }])
    const res = await raw(proxy.url, path, { giveUpAfterMs: 300 })
    expect(res.outcome).toBe('gave-up')
    expect(res.body.length).toBe(500)
    expect(proxy.requests[0]?.bytesSent).toBe(500)
  })

  it('close() ends stalled connections too', async () => {
    const own = await startFaultProxy(s3.endpoint)
    own.setRules([{ fault: { kind: 'stall-after', bytes: 10 } }])
    const pending = raw(own.url, path)
    while (own.requests[0]?.bytesSent !== 10) await new Promise((r) => setTimeout(r, 10))
    const started = Date.now()
    await own.close()
    const res = await pending
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(res.outcome).not.toBe('end')
    expect(res.body.length).toBe(10)
  })

  it('status: an S3 XML error with that status, upstream never asked', async () => {
    proxy.setRules([{ fault: { kind: 'status', status: 503, code: 'SlowDown', message: 'Please reduce' } }])
    const sdk = await sdkGet(client)
    expect(sdk.error?.$metadata?.httpStatusCode).toBe(503)
    expect(sdk.error?.name).toBe('SlowDown')
    expect(sdk.error?.message).toBe('Please reduce')

    const res = await raw(proxy.url, path)
    expect(res.status).toBe(503)
    expect(res.headers?.['content-type']).toBe('application/xml')
    expect(res.body.toString()).toContain('<Error><Code>SlowDown</Code><Message>Please reduce</Message>')

    const head = await raw(proxy.url, path, { method: 'HEAD' })
    expect(head.status).toBe(503)
    expect(head.body.length).toBe(0)
    await expect(client.send(new HeadObjectCommand({ Bucket: 'models', Key: KEY }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    })
  })

  it('times: a rule applies to that many matching requests, then the real answer comes back', async () => {
    proxy.setRules([{ times: 2, fault: { kind: 'status', status: 500, code: 'InternalError' } }])
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await raw(proxy.url, path)).status)
    expect(statuses).toEqual([500, 500, 200])
  })

  it('match: method, keyIncludes, hasRange and rangeStartAtLeast select requests', async () => {
    proxy.setRules([
      { match: { method: 'HEAD' }, fault: { kind: 'headers', headers: { 'x-test-head': '1' } } },
      {
        match: { keyIncludes: 'checkpoints/obj' },
        fault: { kind: 'headers', headers: { 'x-test-key': '1' } },
      },
      { match: { keyIncludes: 'other' }, fault: { kind: 'headers', headers: { 'x-test-other': '1' } } },
      { match: { hasRange: false }, fault: { kind: 'headers', headers: { 'x-test-norange': '1' } } },
      { match: { rangeStartAtLeast: 100 }, fault: { kind: 'headers', headers: { 'x-test-from100': '1' } } },
    ])
    const head = await raw(proxy.url, path, { method: 'HEAD' })
    expect(Object.keys(head.headers ?? {}).filter((h) => h.startsWith('x-test-'))).toEqual([
      'x-test-head',
      'x-test-key',
      'x-test-norange',
    ])
    const low = await raw(proxy.url, path, { headers: { Range: 'bytes=99-199' } })
    expect(Object.keys(low.headers ?? {}).filter((h) => h.startsWith('x-test-'))).toEqual(['x-test-key'])
    const high = await raw(proxy.url, path, { headers: { Range: 'bytes=100-199' } })
    expect(Object.keys(high.headers ?? {}).filter((h) => h.startsWith('x-test-'))).toEqual([
      'x-test-key',
      'x-test-from100',
    ])
  })

  it('match: queryIncludes selects by query string (a listing, not the objects under the bucket)', async () => {
    proxy.setRules([
      {
        match: { queryIncludes: 'list-type=2' },
        fault: { kind: 'status', status: 500, code: 'InternalError' },
      },
    ])
    expect((await raw(proxy.url, '/models?list-type=2&max-keys=1')).status).toBe(500)
    expect((await raw(proxy.url, '/models?location')).status).not.toBe(500)
    expect((await raw(proxy.url, path)).status).toBe(200)
  })

  it('wrong-content-range: the 206 claims other offsets, the bytes are the requested ones', async () => {
    proxy.setRules([{ fault: { kind: 'wrong-content-range', shiftBy: 5 } }])
    const res = await raw(proxy.url, path, { headers: { Range: 'bytes=10-19' } })
    expect(res.status).toBe(206)
    expect(res.headers?.['content-range']).toBe(`bytes 15-24/${SIZE}`)
    expect(res.body.equals(obj.body.subarray(10, 20))).toBe(true)

    const sdk = await client.send(new GetObjectCommand({ Bucket: 'models', Key: KEY, Range: 'bytes=10-19' }))
    expect(sdk.ContentRange).toBe(`bytes 15-24/${SIZE}`)
    await sdk.Body?.transformToByteArray()

    const full = await raw(proxy.url, path)
    expect(full.status).toBe(200)
    expect(full.headers?.['content-range']).toBeUndefined()
  })

  it('truncate-body: full Content-Length announced, N bytes, clean close; the client sees an abort', async () => {
    proxy.setRules([{ fault: { kind: 'truncate-body', bytes: 100 } }])
    const res = await raw(proxy.url, path)
    expect(res.headers?.['content-length']).toBe(String(SIZE))
    expect(res.body.equals(obj.body.subarray(0, 100))).toBe(true)
    expect(res.outcome).toBe('ECONNRESET') // Node reports a premature end as 'aborted' / ECONNRESET

    const sdk = await sdkGet(client)
    expect(sdk.error).toBeDefined()
    expect(sdk.bytes.length).toBe(100)
    expect(proxy.requests.map((r) => r.bytesSent)).toEqual([100, 100])
  })

  it('extra-body (chunked): a complete response N bytes longer than the object', async () => {
    proxy.setRules([{ fault: { kind: 'extra-body', bytes: 7 } }])
    const res = await raw(proxy.url, path, { headers: { Range: 'bytes=0-99' } })
    expect(res.outcome).toBe('end')
    expect(res.status).toBe(206)
    expect(res.headers?.['content-length']).toBeUndefined()
    expect(res.headers?.['content-range']).toBe(`bytes 0-99/${SIZE}`)
    expect(res.body.length).toBe(107)
    expect(res.body.subarray(0, 100).equals(obj.body.subarray(0, 100))).toBe(true)

    const sdk = await sdkGet(client)
    expect(sdk.error).toBeUndefined()
    expect(sdk.bytes.length).toBe(SIZE + 7)
  })

  it('extra-body (after-content-length): the client reads Content-Length bytes, the rest follows on the socket', async () => {
    proxy.setRules([{ fault: { kind: 'extra-body', bytes: 7, mode: 'after-content-length' } }])
    const res = await raw(proxy.url, path)
    expect(res.outcome).toBe('end')
    expect(res.body.equals(obj.body)).toBe(true)
    expect(proxy.requests[0]?.bytesSent).toBe(SIZE + 7)
  })

  it('corrupt: one byte of the body is flipped, at an offset within this response', async () => {
    proxy.setRules([{ fault: { kind: 'corrupt', atByte: 3 } }])
    const res = await raw(proxy.url, path, { headers: { Range: 'bytes=1000-1999' } })
    const expected = Buffer.from(obj.body.subarray(1000, 2000))
    expect(res.body.equals(expected)).toBe(false)
    expected[3] = (expected[3] ?? 0) ^ 0xff
    expect(res.body.equals(expected)).toBe(true)
  })

  it('If-Match: a wrong ETag gets 412 PreconditionFailed, the right one gets the object', async () => {
    const wrong = await sdkGet(client, { IfMatch: '"0123456789abcdef0123456789abcdef"' })
    expect(wrong.error?.$metadata?.httpStatusCode).toBe(412)
    expect(wrong.error?.name).toBe('PreconditionFailed')

    const right = await sdkGet(client, { IfMatch: obj.etag, Range: 'bytes=0-9' })
    expect(right.error).toBeUndefined()
    expect(right.bytes.equals(obj.slice(0, 10))).toBe(true)

    const head = await raw(proxy.url, path, { method: 'HEAD', headers: { 'If-Match': '"nope"' } })
    expect(head.status).toBe(412)
    expect(proxy.requests.map((r) => [r.ifMatch, r.status])).toEqual([
      ['"0123456789abcdef0123456789abcdef"', 412],
      [obj.etag, 206],
      ['"nope"', 412],
    ])

    proxy.enforceIfMatch = false
    const ignored = await sdkGet(client, { IfMatch: '"0123456789abcdef0123456789abcdef"' })
    expect(ignored.error).toBeUndefined() // s3rver's own behaviour: If-Match ignored
  })

  it('etag: the object looks changed on HEAD, and If-Match with the old ETag now fails', async () => {
    proxy.setRules([{ fault: { kind: 'etag', etag: '"changed-etag"' } }])
    const head = await client.send(new HeadObjectCommand({ Bucket: 'models', Key: KEY }))
    expect(head.ETag).toBe('"changed-etag"')

    const old = await sdkGet(client, { IfMatch: obj.etag })
    expect(old.error?.$metadata?.httpStatusCode).toBe(412)
    const current = await sdkGet(client, { IfMatch: '"changed-etag"' })
    expect(current.error).toBeUndefined()
    expect(current.bytes.equals(obj.body)).toBe(true)
  })

  it('headers: checksum headers s3rver never sends show up on HEAD', async () => {
    proxy.setRules([
      {
        match: { method: 'HEAD' },
        fault: {
          kind: 'headers',
          headers: {
            'x-amz-checksum-sha256': Buffer.from(obj.sha256, 'hex').toString('base64'),
            'x-amz-checksum-type': 'FULL_OBJECT',
          },
        },
      },
    ])
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'models', Key: KEY, ChecksumMode: 'ENABLED' }),
    )
    expect(head.ChecksumSHA256).toBe(Buffer.from(obj.sha256, 'hex').toString('base64'))
    expect(head.ChecksumType).toBe('FULL_OBJECT')
    expect(head.ContentLength).toBe(SIZE)
  })

  it('delay: the answer comes at least that much later', async () => {
    proxy.setRules([{ fault: { kind: 'delay', ms: 200 } }])
    const started = Date.now()
    const res = await raw(proxy.url, path, { headers: { Range: 'bytes=0-9' } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(res.status).toBe(206)
  })

  it('throttle: caps each response body, not the sum of parallel ones', async () => {
    proxy.setRules([{ match: { method: 'GET' }, fault: { kind: 'throttle', bytesPerSecond: 128 * 1024 } }])
    const started = performance.now()
    const [a, b] = await Promise.all([raw(proxy.url, path), raw(proxy.url, path)])
    const ms = performance.now() - started
    expect(a.body.equals(obj.body) && b.body.equals(obj.body)).toBe(true)
    // 64 KiB at 128 KiB/s: half a second each, side by side (one cap for both would take a second).
    expect(ms).toBeGreaterThanOrEqual(450)
    expect(ms).toBeLessThan(900)
  })

  it('probability: a rule applies to about that share of matching requests', async () => {
    proxy.setRules([
      {
        match: { method: 'GET' },
        probability: 0.5,
        fault: { kind: 'status', status: 503, code: 'SlowDown' },
      },
    ])
    const statuses: number[] = []
    for (let i = 0; i < 100; i++)
      statuses.push((await raw(proxy.url, path, { headers: { Range: 'bytes=0-9' } })).status ?? 0)
    const slowed = statuses.filter((s) => s === 503).length
    expect(slowed).toBeGreaterThan(20)
    expect(slowed).toBeLessThan(80)
    expect(statuses.filter((s) => s === 206)).toHaveLength(100 - slowed)
  })
})
