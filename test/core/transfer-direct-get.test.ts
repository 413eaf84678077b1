// Object GETs signed by us without the SDK's middleware (DirectGets): a bucket's first GET goes
// through the SDK and teaches the route; later GETs of that bucket go direct, signed well enough for
// s3rver's SigV4 check, with every error answer mapped as the SDK's would be.
import type { S3Client } from '@aws-sdk/client-s3'
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import type { SourceData } from '@smithy/types'
import { describe, expect, it } from 'vitest'
import { DirectGets, encodeKey, S3ErrorAnswer, needsSdk } from '../../src/core/transfer/direct-get'
import { sha256File } from '../support/temp'
import { KiB, TEST_TUNING, expectFailure, useHarness, type Harness } from './transfer-harness'

const ONE = { connectionsPerFile: 1 }

describe('direct GETs against s3rver', () => {
  let h!: Harness
  let n = 0
  useHarness((started) => (h = started))
  const local = (): string => `${h.dir}/direct-${++n}.bin`
  const fetch = (key: string, client: S3Client) =>
    h.download({ s3Uri: `s3://models/${key}`, localPath: local() }, { tuning: ONE, client })
  /** An object, and a client that fetched it once already: its bucket's route is known. */
  const routed = async (key: string, size: number) => {
    const client = h.client({ ...TEST_TUNING, ...ONE })
    const obj = await h.s3.putRandom(key, size)
    await fetch(key, client)
    h.proxy.resetLog()
    return { client, obj }
  }

  it('sends the first GET of a bucket through the SDK and the next ones directly, signed', async () => {
    const client = h.client({ ...TEST_TUNING, ...ONE })
    const a = await h.s3.putRandom('direct/a.bin', 300 * KiB + 1)
    // Spaces, a plus, unicode and a nested folder: the path encoding must match what was signed.
    const b = await h.s3.putRandom('direct/sub dir/b+c ü.bin', 200 * KiB)
    const first = await fetch('direct/a.bin', client)
    const second = await fetch('direct/sub dir/b+c ü.bin', client)
    expect(await sha256File(first.localPath)).toBe(a.sha256)
    expect(await sha256File(second.localPath)).toBe(b.sha256)
    expect(second.verified.map((v) => v.algorithm)).toEqual(['md5-etag'])
    expect(h.proxy.requests.map((r) => [r.method, r.status, r.viaSdk])).toEqual([
      ['GET', 200, true],
      ['GET', 200, false],
    ])
    expect(h.proxy.requests[1]!.path).toBe(`/models/${encodeKey('direct/sub dir/b+c ü.bin')}`)
  })

  it('ranged retries with If-Match go direct too', async () => {
    const { client, obj } = await routed('direct/retry.bin', 600 * KiB)
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 1, fault: { kind: 'reset-after', bytes: 100 * KiB } },
    ])
    const result = await fetch('direct/retry.bin', client)
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const [cut, retry] = h.proxy.requests
    expect(cut!.viaSdk).toBe(false)
    expect(retry!.viaSdk).toBe(false)
    expect(retry!.ifMatch).toBe(obj.etag)
    expect(retry!.range).toMatch(/^bytes=[1-9]\d*-/)
  })

  it('a direct 404 is final: not_found, without asking the SDK again', async () => {
    const { client } = await routed('direct/here.bin', 10 * KiB)
    const err = await expectFailure(fetch('direct/missing.bin', client), 'not_found')
    expect(err.message).toContain('s3://models/direct/missing.bin')
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([[404, false]])
  })

  it('a direct 503 SlowDown is retried by our policy, directly again', async () => {
    const { client, obj } = await routed('direct/busy.bin', 300 * KiB)
    h.proxy.setRules([
      { times: 1, fault: { kind: 'status', status: 503, code: 'SlowDown', message: 'Reduce' } },
    ])
    const result = await fetch('direct/busy.bin', client)
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([
      [503, false],
      [200, false],
    ])
  })

  it('a direct 403 forgets the route: the SDK asks again and gives its typed error', async () => {
    const { client, obj } = await routed('direct/guarded.bin', 50 * KiB)
    h.proxy.setRules([
      { times: 2, fault: { kind: 'status', status: 403, code: 'AccessDenied', message: 'No' } },
    ])
    await expectFailure(fetch('direct/guarded.bin', client), 'access_denied')
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([
      [403, false],
      [403, true],
    ])
    // Learned again from the SDK's next 2xx answer.
    h.proxy.resetLog()
    const again = await fetch('direct/guarded.bin', client)
    expect(await sha256File(again.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.map((r) => r.viaSdk)).toEqual([true])
  })
})

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data)
}

/** The hash the SDK's config gives the signer: SHA-256, or HMAC-SHA256 when given a secret. */
class Sha256 {
  private readonly h: Hash | Hmac
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  update(data: SourceData): void {
    this.h.update(bytes(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest())
  }
  reset(): void {}
}

describe('DirectGets', () => {
  const config = { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, sha256: Sha256 }
  const sdkRequest = (over: Record<string, unknown> = {}, headers: Record<string, string> = {}) => ({
    method: 'GET',
    protocol: 'https:',
    hostname: 'models.s3.eu-west-1.amazonaws.com',
    path: '/dir/a%20b.bin',
    query: { 'x-id': 'GetObject' },
    headers: {
      host: 'models.s3.eu-west-1.amazonaws.com',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKID/20261203/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00',
      ...headers,
    },
    ...over,
  })

  it('reuses a virtual-hosted route with the region of the signature scope', async () => {
    const d = new DirectGets()
    expect(await d.sign({ bucket: 'models', key: 'x' }, config)).toBeNull()
    d.learn(sdkRequest(), { bucket: 'models', key: 'dir/a b.bin' })
    const req = await d.sign(
      { bucket: 'models', key: "other/it's (1).bin", range: 'bytes=5-9', ifMatch: '"e"', checksumMode: true },
      config,
    )
    expect(req).toMatchObject({
      protocol: 'https:',
      hostname: 'models.s3.eu-west-1.amazonaws.com',
      port: 443,
      path: '/other/it%27s%20%281%29.bin',
      query: { 'x-id': 'GetObject' },
    })
    expect(req!.headers).toMatchObject({
      host: 'models.s3.eu-west-1.amazonaws.com',
      range: 'bytes=5-9',
      'if-match': '"e"',
      'x-amz-checksum-mode': 'ENABLED',
    })
    expect(req!.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;if-match;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    )
  })

  it('learns nothing it cannot reproduce: unsigned, SigV4a, S3 Express, a version, another key', async () => {
    const get = { bucket: 'models', key: 'dir/a b.bin' }
    const cases = [
      sdkRequest({}, { authorization: '' }),
      sdkRequest({}, { authorization: 'AWS4-ECDSA-P256-SHA256 Credential=AKID/20261203/s3/aws4_request, x' }),
      sdkRequest({}, { 'x-amz-s3session-token': 't' }),
      sdkRequest({ query: { 'x-id': 'GetObject', versionId: 'v1' } }),
      sdkRequest({ path: '/dir/other.bin' }),
    ]
    for (const request of cases) {
      const d = new DirectGets()
      d.learn(request, get)
      expect(await d.sign(get, config)).toBeNull()
    }
  })

  it('sends 3xx, 400, 401 and 403 back to the SDK; maps other error answers like the SDK', () => {
    expect([301, 307, 400, 401, 403].every(needsSdk)).toBe(true)
    expect([404, 412, 416, 500, 503].some(needsSdk)).toBe(false)
    const e = new S3ErrorAnswer(
      404,
      '<Error><Code>NoSuchKey</Code><Message>The key does not exist</Message></Error>',
    )
    expect([e.name, e.message, e.$metadata.httpStatusCode]).toEqual([
      'NoSuchKey',
      'The key does not exist',
      404,
    ])
    const bare = new S3ErrorAnswer(502, 'Bad gateway')
    expect([bare.name, bare.$metadata.httpStatusCode]).toEqual(['HTTP 502', 502])
  })
})
