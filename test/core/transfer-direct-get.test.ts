// Object GETs signed by us without the SDK's middleware (DirectGets): on a custom endpoint addressed
// path-style every GET goes direct from the first; elsewhere a bucket's first GET goes through the
// SDK and teaches the route. Direct GETs are signed well enough for s3rver's SigV4 check, and every
// error answer is mapped as the SDK's would be.
import { writeFile } from 'node:fs/promises'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import {
  DirectGets,
  encodeKey,
  pathStyleRoute,
  S3ErrorAnswer,
  needsSdk,
} from '../../src/core/transfer/direct-get'
import type { ObjectStore } from '../../src/core/transfer/object-store'
import { staticCredentials } from '../../src/core/transfer/s3-endpoint'
import { Sha256 } from '../../src/core/transfer/sigv4-sha256'
import { sha256File } from '../support/temp'
import { KiB, TEST_TUNING, expectFailure, useHarness, type Harness } from './transfer-harness'

const ONE = { connectionsPerFile: 1 }
const NO_KEYS = { accessKeyId: '', secretAccessKey: '' }

describe('direct GETs against s3rver', () => {
  let h!: Harness
  let n = 0
  useHarness((started) => (h = started))
  const local = (): string => `${h.dir}/direct-${++n}.bin`
  const fetch = (key: string, store: ObjectStore) =>
    h.download({ s3Uri: `s3://models/${key}`, localPath: local() }, { tuning: ONE, store })
  /** An object, and a store that fetched it once already: its bucket's route is known. */
  const routed = async (key: string, size: number) => {
    const store = h.store({ ...TEST_TUNING, ...ONE })
    const obj = await h.s3.putRandom(key, size)
    await fetch(key, store)
    h.proxy.resetLog()
    return { store, obj }
  }

  /**
   * Two objects under `folder` fetched with one store, each checked byte for byte; the second's key
   * has spaces, a plus, unicode and a nested folder, so its path must match what was signed.
   * Returns whether each GET went through the SDK.
   */
  const fetchTwo = async (store: ObjectStore, folder: string): Promise<boolean[]> => {
    const keys = [`${folder}/a.bin`, `${folder}/sub dir/b+c ü.bin`]
    const objects = [await h.s3.putRandom(keys[0]!, 300 * KiB + 1), await h.s3.putRandom(keys[1]!, 200 * KiB)]
    for (const [i, key] of keys.entries()) {
      const result = await fetch(key, store)
      expect(await sha256File(result.localPath)).toBe(objects[i]!.sha256)
      expect(result.verified.map((v) => v.algorithm)).toEqual(['md5-etag'])
    }
    expect(h.proxy.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['GET', 200],
    ])
    expect(h.proxy.requests[1]!.path).toBe(`/models/${encodeKey(keys[1]!)}`)
    return h.proxy.requests.map((r) => r.viaSdk)
  }

  /** One object fetched with `store` and checked byte for byte; whether each request went through the SDK. */
  const fetchOne = async (store: ObjectStore, key: string): Promise<boolean[]> => {
    const obj = await h.s3.putRandom(key, 100 * KiB)
    const result = await fetch(key, store)
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    return h.proxy.requests.map((r) => r.viaSdk)
  }

  it('sends every GET directly on a path-style custom endpoint with keys, never loading the SDK', async () => {
    const store = h.store({ ...TEST_TUNING, ...ONE })
    expect(await fetchTwo(store, 'certain')).toEqual([false, false])
    expect(store.sdkLoaded).toBe(false)
  })

  it('takes keys from the environment as the SDK would, without loading it', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }
    const store = h.store({ ...TEST_TUNING, ...ONE }, NO_KEYS, env)
    expect(await fetchOne(store, 'certain/env.bin')).toEqual([false])
    expect(store.sdkLoaded).toBe(false)
  })

  it("signs with the SDK's credential chain for a named profile, still sending the GET directly", async () => {
    const credentials = `${h.dir}/aws-credentials`
    await writeFile(
      credentials,
      '[modeldl-test]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n',
    )
    // The SDK's shared-file loader reads these from process.env (the worker's is its whole env).
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', credentials)
    vi.stubEnv('AWS_CONFIG_FILE', `${h.dir}/no-aws-config`)
    onTestFinished(() => void vi.unstubAllEnvs())
    const store = h.store({ ...TEST_TUNING, ...ONE }, { ...NO_KEYS, profile: 'modeldl-test' })
    expect(await fetchOne(store, 'certain/profile.bin')).toEqual([false])
    expect(store.sdkLoaded).toBe(true)
  })

  it('without a certain route, sends the first GET through the SDK and the next ones directly', async () => {
    // forcePathStyle false: the SDK's endpoint rules decide the addressing, so its GET teaches it.
    const store = h.store({ ...TEST_TUNING, ...ONE }, { forcePathStyle: false })
    expect(await fetchTwo(store, 'direct')).toEqual([true, false])
  })

  it('ranged retries with If-Match go direct too', async () => {
    const { store, obj } = await routed('direct/retry.bin', 600 * KiB)
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 1, fault: { kind: 'reset-after', bytes: 100 * KiB } },
    ])
    const result = await fetch('direct/retry.bin', store)
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const [cut, retry] = h.proxy.requests
    expect(cut!.viaSdk).toBe(false)
    expect(retry!.viaSdk).toBe(false)
    expect(retry!.ifMatch).toBe(obj.etag)
    expect(retry!.range).toMatch(/^bytes=[1-9]\d*-/)
  })

  it('a direct 404 is final: not_found, without asking the SDK again', async () => {
    const { store } = await routed('direct/here.bin', 10 * KiB)
    const err = await expectFailure(fetch('direct/missing.bin', store), 'not_found')
    expect(err.message).toContain('s3://models/direct/missing.bin')
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([[404, false]])
  })

  it('a direct 503 SlowDown is retried by our policy, directly again', async () => {
    const { store, obj } = await routed('direct/busy.bin', 300 * KiB)
    h.proxy.setRules([
      { times: 1, fault: { kind: 'status', status: 503, code: 'SlowDown', message: 'Reduce' } },
    ])
    const result = await fetch('direct/busy.bin', store)
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([
      [503, false],
      [200, false],
    ])
  })

  it('a direct 403 forgets the route: the SDK asks again and gives its typed error', async () => {
    const { store, obj } = await routed('direct/guarded.bin', 50 * KiB)
    h.proxy.setRules([
      { times: 2, fault: { kind: 'status', status: 403, code: 'AccessDenied', message: 'No' } },
    ])
    await expectFailure(fetch('direct/guarded.bin', store), 'access_denied')
    expect(h.proxy.requests.map((r) => [r.status, r.viaSdk])).toEqual([
      [403, false],
      [403, true],
    ])
    // Learned again from the SDK's next 2xx answer.
    h.proxy.resetLog()
    const again = await fetch('direct/guarded.bin', store)
    expect(await sha256File(again.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.map((r) => r.viaSdk)).toEqual([true])
  })
})

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

describe('certain routes (pathStyleRoute)', () => {
  it('joins a custom endpoint, the bucket and the key, with the Host header the SDK sends', () => {
    expect(pathStyleRoute('http://127.0.0.1:9000', 'models', 'eu-central-1')).toEqual({
      origin: { protocol: 'http:', hostname: '127.0.0.1', port: 9000 },
      host: '127.0.0.1:9000',
      pathPrefix: '/models/',
      region: 'eu-central-1',
    })
    // A default port is left out of Host, as the SDK leaves it out.
    expect(pathStyleRoute('https://ACCOUNT.r2.cloudflarestorage.com/', 'm_1.x', 'auto')).toMatchObject({
      origin: { protocol: 'https:', hostname: 'account.r2.cloudflarestorage.com', port: 443 },
      host: 'account.r2.cloudflarestorage.com',
      pathPrefix: '/m_1.x/',
    })
  })

  it('leaves to the SDK whatever its endpoint rules would do more with', () => {
    for (const [endpoint, bucket] of [
      ['http://minio:9000/base', 'models'], // an endpoint with a path
      ['http://minio:9000/?x=1', 'models'], // a query
      ['http://user:pw@minio:9000', 'models'], // user info
      ['http://[::1]:9000', 'models'], // IPv6
      ['ftp://minio', 'models'], // not HTTP
      ['minio:9000', 'models'], // not a URL the SDK would take either
      ['http://minio:9000', 'a b'], // a bucket URI encoding would change
    ] as const) {
      expect(pathStyleRoute(endpoint, bucket, 'us-east-1')).toBeNull()
    }
  })

  it('routes a bucket from its first GET, until an answer says the route is wrong', async () => {
    const config = { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, sha256: Sha256 }
    const d = new DirectGets((bucket) => pathStyleRoute('http://127.0.0.1:9000', bucket, 'us-east-1'))
    const req = await d.sign({ bucket: 'models', key: 'a b.bin' }, config)
    expect(req).toMatchObject({ hostname: '127.0.0.1', port: 9000, path: '/models/a%20b.bin' })
    expect(req!.headers['host']).toBe('127.0.0.1:9000')
    expect(req!.headers['authorization']).toMatch(/Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request/)
    d.forget('models')
    expect(await d.sign({ bucket: 'models', key: 'a b.bin' }, config)).toBeNull()
  })
})

describe('staticCredentials (keys the SDK would use without asking its chain)', () => {
  const keys = { AWS_ACCESS_KEY_ID: 'AKENV', AWS_SECRET_ACCESS_KEY: 'env-secret' }

  it('prefers explicit keys, with their session token', () => {
    const s = { accessKeyId: 'AKSET', secretAccessKey: 'set-secret', sessionToken: 'tok', profile: 'p' }
    expect(staticCredentials(s, keys)).toEqual({
      accessKeyId: 'AKSET',
      secretAccessKey: 'set-secret',
      sessionToken: 'tok',
    })
  })

  it('takes the environment keys and session token when no profile is named', () => {
    expect(staticCredentials({}, { ...keys, AWS_SESSION_TOKEN: 'envtok' })).toEqual({
      accessKeyId: 'AKENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'envtok',
    })
  })

  it('leaves profiles (a setting or AWS_PROFILE) and incomplete keys to the chain', () => {
    expect(staticCredentials({ profile: 'work' }, keys)).toBeNull()
    expect(staticCredentials({}, { ...keys, AWS_PROFILE: 'work' })).toBeNull()
    expect(staticCredentials({}, { AWS_ACCESS_KEY_ID: 'AKENV' })).toBeNull()
    expect(staticCredentials({ accessKeyId: 'AKSET' }, {})).toBeNull()
  })
})
