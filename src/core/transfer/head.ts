import type { GetObjectCommandOutput, HeadObjectCommandOutput } from '@aws-sdk/client-s3'
import type { ChecksumAlgorithm } from '../../shared/transfer'
import { TransferError, throwIfStopped } from './errors'
import type { ObjectStore } from './object-store'
import { waitBeforeRetry } from './retry'
import { classifyS3Error } from './s3-errors'
import { formatS3Uri, type S3Location } from './s3-uri'

/** A checksum of the whole object's bytes, as S3 reports it (hex for sha/md5, base64 as S3 sends for CRCs). */
export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm
  /** Lower-case hex of the digest. */
  hex: string
  source: 's3' | 'etag' | 'server'
}

export interface ObjectInfo {
  size: number
  etag: string
  lastModified: string | null
  /** The strongest full-object checksum S3 gave us, or a plain-MD5 ETag, or null. */
  checksum: ObjectChecksum | null
  /** False when the server cannot answer byte ranges (an https source that does not say it can). */
  ranges?: boolean
}

const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE'])

/** HEAD with the object's checksum; transient failures are retried like ranged GETs. */
export async function headObject(
  store: ObjectStore,
  loc: S3Location,
  signal: AbortSignal,
  maxAttempts: number,
): Promise<ObjectInfo> {
  const out = await sendWithRetries('HEAD', loc, signal, maxAttempts, () => store.headObject(loc, signal))
  return describeHead(out, loc)
}

/** One request about an object, its transient failures retried with backoff; the rest typed and thrown. */
async function sendWithRetries<T>(
  what: 'HEAD' | 'GET',
  loc: S3Location,
  signal: AbortSignal,
  maxAttempts: number,
  send: () => Promise<T>,
): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await send()
    } catch (err) {
      throwIfStopped(signal)
      const e = classifyS3Error(err, formatS3Uri(loc), what)
      if (!e.retryable || failures >= maxAttempts) throw e
      await waitBeforeRetry(failures, signal)
    }
  }
}

/** What a HEAD and a GET of the whole object both answer about it. */
type ObjectHeaders = Pick<
  HeadObjectCommandOutput,
  | 'ContentLength'
  | 'ETag'
  | 'LastModified'
  | 'Restore'
  | 'StorageClass'
  | 'ArchiveStatus'
  | 'ChecksumType'
  | 'ChecksumSHA256'
  | 'ChecksumCRC64NVME'
  | 'ChecksumCRC32'
  | 'ChecksumCRC32C'
  | 'ChecksumSHA1'
  | 'ServerSideEncryption'
  | 'SSECustomerAlgorithm'
>

/**
 * A GET of the whole object in place of a HEAD, for a fetch that is one stream anyway: its answer
 * carries what the HEAD would (size, ETag, checksums), and its body is the download. Errors map as
 * a HEAD's do (404, 403, expired credentials; an archived object answers InvalidObjectState), and
 * transient ones are retried the same way.
 */
export async function openObject(
  store: ObjectStore,
  loc: S3Location,
  signal: AbortSignal,
  maxAttempts: number,
): Promise<{ info: ObjectInfo; response: GetObjectCommandOutput }> {
  const get = { bucket: loc.bucket, key: loc.key, checksumMode: true }
  const out = await sendWithRetries('GET', loc, signal, maxAttempts, () => store.getObject(get, signal))
  try {
    return { info: describeHead(out, loc), response: out }
  } catch (err) {
    ;(out.Body as { destroy?(): void } | undefined)?.destroy?.()
    throw err
  }
}

export function describeHead(out: ObjectHeaders, loc: S3Location): ObjectInfo {
  const object = formatS3Uri(loc)
  if (out.ContentLength === undefined || !out.ETag) {
    throw new TransferError('server_error', `The server's answer for ${object} has no size or ETag`, true)
  }
  const restored = out.Restore?.includes('ongoing-request="false"')
  const archived =
    (out.StorageClass !== undefined && ARCHIVED.has(out.StorageClass)) ||
    out.ArchiveStatus === 'ARCHIVE_ACCESS' ||
    out.ArchiveStatus === 'DEEP_ARCHIVE_ACCESS'
  if (archived && !restored) {
    const how = out.Restore ? 'its restore is still in progress' : 'restore it first'
    throw new TransferError(
      'not_restored',
      `${object} is archived (${out.StorageClass ?? out.ArchiveStatus}): ${how}`,
    )
  }
  return {
    size: out.ContentLength,
    etag: out.ETag,
    lastModified: out.LastModified ? out.LastModified.toISOString() : null,
    checksum: fullObjectChecksum(out),
  }
}

function base64ToHex(b64: string): string {
  return Buffer.from(b64, 'base64').toString('hex')
}

/**
 * A checksum we can recompute from the bytes alone. COMPOSITE checksums (multipart "checksum of
 * checksums", value ending in -N) need the part boundaries, so they are not used.
 */
function fullObjectChecksum(out: ObjectHeaders): ObjectChecksum | null {
  const composite = out.ChecksumType === 'COMPOSITE'
  const candidates: Array<[ChecksumAlgorithm, string | undefined]> = [
    ['sha256', out.ChecksumSHA256],
    ['crc64nvme', out.ChecksumCRC64NVME],
    ['crc32', out.ChecksumCRC32],
    ['crc32c', out.ChecksumCRC32C],
    ['sha1', out.ChecksumSHA1],
  ]
  if (!composite) {
    for (const [algorithm, value] of candidates) {
      if (value && !/-\d+$/.test(value)) return { algorithm, hex: base64ToHex(value), source: 's3' }
    }
  }
  // A single-part upload's ETag is the MD5 of its bytes, unless SSE-KMS/SSE-C encrypted it.
  const etag = out.ETag?.replace(/"/g, '') ?? ''
  const encrypted = out.ServerSideEncryption?.startsWith('aws:kms') || out.SSECustomerAlgorithm !== undefined
  if (/^[0-9a-f]{32}$/i.test(etag) && !encrypted)
    return { algorithm: 'md5-etag', hex: etag.toLowerCase(), source: 'etag' }
  return null
}
