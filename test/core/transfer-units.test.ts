import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { ByteRanges } from '../../src/core/transfer/byte-ranges'
import { TransferError } from '../../src/core/transfer/errors'
import { describeHead } from '../../src/core/transfer/head'
import { PartQueue } from '../../src/core/transfer/part-queue'
import { classifyS3Error } from '../../src/core/transfer/s3-errors'
import { parseS3Uri } from '../../src/core/transfer/s3-uri'

describe('ByteRanges', () => {
  it('merges overlapping and touching ranges and reports gaps', () => {
    const r = new ByteRanges()
    r.add(10, 20)
    r.add(30, 40)
    r.add(20, 25)
    r.add(35, 50)
    r.add(0, 5)
    expect(r.toJSON()).toEqual([
      [0, 5],
      [10, 25],
      [30, 50],
    ])
    expect(r.total()).toBe(5 + 15 + 20)
    expect(r.missing(60)).toEqual([
      [5, 10],
      [25, 30],
      [50, 60],
    ])
    expect(r.contiguousEnd(0)).toBe(5)
    expect(r.contiguousEnd(12)).toBe(25)
    expect(r.contiguousEnd(27)).toBe(27)
    r.add(5, 10)
    expect(r.contiguousEnd(0)).toBe(25)
  })
})

describe('PartQueue', () => {
  it('hands out only what is missing, front first, in parts no larger than asked', () => {
    const q = new PartQueue(new ByteRanges([[100, 250]]).missing(400))
    expect([q.take(100), q.take(100), q.take(100), q.take(100)]).toEqual([
      { start: 0, end: 100, received: 0 },
      { start: 250, end: 350, received: 0 },
      { start: 350, end: 400, received: 0 },
      null,
    ])
    const whole = new PartQueue([
      [0, 100],
      [250, 400],
    ])
    expect(whole.take(Infinity)).toEqual({ start: 0, end: 100, received: 0 })
    expect(whole.remaining).toBe(150)
  })
  it('splits a part under way after what it received, and only when the rest is worth a connection', () => {
    const q = new PartQueue([])
    const part = { start: 0, end: 1000, received: 300 }
    expect(q.split(part, 100, 700)).toBe(false)
    expect(part.end).toBe(1000)
    expect(q.split(part, 100, 500)).toBe(true)
    expect(part.end).toBe(400)
    expect(q.remaining).toBe(600)
    expect(q.take(250)).toEqual({ start: 400, end: 650, received: 0 })
  })
})

describe('parseS3Uri', () => {
  it('splits bucket and key, and refuses what is not an s3:// object URI', () => {
    expect(parseS3Uri('s3://my-bucket/models/a b.safetensors')).toEqual({
      bucket: 'my-bucket',
      key: 'models/a b.safetensors',
    })
    for (const bad of ['s3://bucket', 's3://bucket/', 'http://x/y', 'bucket/key', 's3:///key']) {
      expect(() => parseS3Uri(bad)).toThrow(TransferError)
    }
  })
})

describe('classifyS3Error', () => {
  const obj = 's3://b/k'
  const sdk = (name: string, status?: number, message = '') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
  it.each([
    [sdk('NotFound', 404), 'not_found', false],
    [sdk('NoSuchKey', 404), 'not_found', false],
    [sdk('Forbidden', 403), 'access_denied', false],
    [sdk('InvalidAccessKeyId', 403), 'access_denied', false],
    [sdk('ExpiredToken', 400), 'credentials_expired', false],
    [sdk('InvalidObjectState', 403), 'not_restored', false],
    [sdk('PreconditionFailed', 412), 'object_changed', false],
    [sdk('SlowDown', 503), 'server_error', true],
    [sdk('InternalError', 500), 'server_error', true],
    [sdk('TimeoutError'), 'network', true],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'network', true],
    [
      sdk('CredentialsProviderError', undefined, 'Could not load credentials from any providers'),
      'credentials_missing',
      false,
    ],
  ])('%s → %s', (err, code, retryable) => {
    const e = classifyS3Error(err, obj, 'GET')
    expect(e.code).toBe(code)
    expect(e.retryable).toBe(retryable)
    expect(e.message).toContain(obj)
  })
})

describe('describeHead', () => {
  const loc = { bucket: 'b', key: 'k' }
  const head = (extra: Partial<HeadObjectCommandOutput>): HeadObjectCommandOutput => ({
    $metadata: {},
    ContentLength: 10,
    ETag: '"0123456789abcdef0123456789abcdef"',
    ...extra,
  })
  it('prefers a full-object S3 checksum, then a plain-MD5 ETag', () => {
    expect(
      describeHead(head({ ChecksumCRC32: 'AAAAAA==', ChecksumType: 'FULL_OBJECT' }), loc).checksum,
    ).toEqual({
      algorithm: 'crc32',
      hex: '00000000',
      source: 's3',
    })
    expect(describeHead(head({}), loc).checksum).toEqual({
      algorithm: 'md5-etag',
      hex: '0123456789abcdef0123456789abcdef',
      source: 'etag',
    })
  })
  it('does not trust the ETag as MD5 for multipart or SSE-KMS objects', () => {
    expect(describeHead(head({ ETag: '"0123456789abcdef0123456789abcdef-12"' }), loc).checksum).toBeNull()
    expect(describeHead(head({ ServerSideEncryption: 'aws:kms' }), loc).checksum).toBeNull()
  })
  it('refuses an archived object that is not restored, naming it', () => {
    expect(() => describeHead(head({ StorageClass: 'GLACIER' }), loc)).toThrow(/s3:\/\/b\/k is archived/)
    expect(
      describeHead(
        head({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="x"' }),
        loc,
      ).size,
    ).toBe(10)
  })
})

describe('connectionPolicy', () => {
  it('keeps explicit connections and part size as given, and adapts when connections are automatic', async () => {
    const { AdaptivePolicy, FixedPolicy, connectionPolicy, FIRST_PART_BYTES } =
      await import('../../src/core/transfer/connection-policy')
    const { DEFAULT_TUNING } = await import('../../src/shared/transfer')
    const fixed = connectionPolicy({ ...DEFAULT_TUNING, connectionsPerFile: 3, partSize: 5 * 2 ** 20 })
    expect(fixed).toBeInstanceOf(FixedPolicy)
    expect([fixed.mayAdd(2), fixed.mayAdd(3), fixed.partSize(2 ** 30, 3)]).toEqual([true, false, 5 * 2 ** 20])
    expect(connectionPolicy({ ...DEFAULT_TUNING, connectionsPerFile: 1 }).partSize(2 ** 30, 1)).toBe(Infinity)
    const auto = connectionPolicy(DEFAULT_TUNING)
    expect(auto).toBeInstanceOf(AdaptivePolicy)
    // One connection until the samples say more pay; every file still gets its first.
    expect([auto.mayAdd(0), auto.partSize(2 ** 30, 1)]).toEqual([true, FIRST_PART_BYTES])
    auto.opened()
    expect([auto.mayAdd(0), auto.mayAdd(1)]).toEqual([true, false])
    auto.closed()
  })

  it('adapts within the connection budget it is given, and within the host cap without one', async () => {
    const { AdaptivePolicy, HOST_CONNECTIONS, connectionPolicy } =
      await import('../../src/core/transfer/connection-policy')
    const { DEFAULT_TUNING } = await import('../../src/shared/transfer')
    const within = (budget?: number): number => {
      const p = connectionPolicy({
        ...DEFAULT_TUNING,
        ...(budget !== undefined ? { connectionBudget: budget } : {}),
      })
      expect(p).toBeInstanceOf(AdaptivePolicy)
      return (p as InstanceType<typeof AdaptivePolicy>).maxConnections
    }
    expect([within(), within(6), within(1000), within(0)]).toEqual([HOST_CONNECTIONS, 6, HOST_CONNECTIONS, 1])
  })
})
