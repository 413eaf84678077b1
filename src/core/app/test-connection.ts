// Settings' "test connection": one request with the settings being edited, and an answer that says what
// happened and what to do. HEAD of a named object, else a one-key listing of the source's bucket, and
// when the store fails that listing (s3rver does for a truncated one), a HEAD of the bucket: downloads
// need only HEAD and GET of objects, so a store that cannot list is still a working source.
import { HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { TestConnectionResult } from '../../shared/api-contract'
import type { S3Settings } from '../../shared/transfer'
import { formatBytes } from '../transfer/preflight'
import { createS3Client } from '../transfer/s3-client'
import { resolveEndpoint } from '../transfer/s3-endpoint'
import { classifyS3Error } from '../transfer/s3-errors'

type Env = Record<string, string | undefined>

export type ConnectionTarget =
  { kind: 'object'; bucket: string; key: string } | { kind: 'bucket'; bucket: string; prefix: string }

const TIMEOUT_MS = 15_000
const CONNECT_TIMEOUT_MS = 5_000

/** `s3://bucket/key` → object; `s3://bucket[/prefix/]` → bucket; anything else → undefined. */
export function connectionTarget(uri: string, asObject: boolean): ConnectionTarget | undefined {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri)
  if (!match) return undefined
  const [, bucket = '', rest = ''] = match
  if (asObject && rest && !rest.endsWith('/')) return { kind: 'object', bucket, key: rest }
  return { kind: 'bucket', bucket, prefix: rest }
}

export async function testConnection(
  s3: S3Settings,
  target: ConnectionTarget,
  env: Env = process.env,
): Promise<TestConnectionResult> {
  const started = performance.now()
  const endpoint = resolveEndpoint(s3, env) ?? 'AWS S3'
  const client = createS3Client(s3, { connectTimeoutMs: CONNECT_TIMEOUT_MS, stallTimeoutMs: TIMEOUT_MS }, env)
  const elapsed = (): number => Math.round(performance.now() - started)
  try {
    const message = await probe(client, target)
    return { ok: true, message, elapsedMs: elapsed() }
  } catch (err) {
    return { ok: false, message: explain(err, target, endpoint), elapsedMs: elapsed() }
  } finally {
    client.destroy()
  }
}

async function probe(client: S3Client, target: ConnectionTarget): Promise<string> {
  const abortSignal = AbortSignal.timeout(TIMEOUT_MS)
  if (target.kind === 'object') {
    const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), {
      abortSignal,
    })
    const size = head.ContentLength === undefined ? '' : ` (${formatBytes(head.ContentLength)})`
    return `Connected: ${describe(target)} is there${size}.`
  }
  let list
  try {
    list = await client.send(
      new ListObjectsV2Command({
        Bucket: target.bucket,
        MaxKeys: 1,
        ...(target.prefix ? { Prefix: target.prefix } : {}),
      }),
      { abortSignal },
    )
  } catch (listErr) {
    if (classifyS3Error(listErr, describe(target), 'ListObjectsV2').code !== 'server_error') throw listErr
    try {
      await client.send(new HeadBucketCommand({ Bucket: target.bucket }), { abortSignal })
    } catch (headErr) {
      throw new BothFailed(listErr, headErr)
    }
    return (
      `Connected: the bucket "${target.bucket}" is there, and downloads from it can work. ` +
      `Listing ${describe(target)} failed (${errorCode(listErr)}), so Browse source may not work there; ` +
      `load a model config file instead.`
    )
  }
  const found = (list.KeyCount ?? list.Contents?.length ?? 0) > 0
  return `Connected: ${describe(target)} can be listed${found ? '' : ', but nothing is there yet'}.`
}

/** A listing and then a HEAD of the bucket both failed on the server's side. */
class BothFailed extends Error {
  constructor(
    readonly listErr: unknown,
    readonly headErr: unknown,
  ) {
    super('ListObjectsV2 and HeadBucket failed')
  }
}

/** "InternalError", "HTTP 500"…: the store's own name for what went wrong. */
function errorCode(err: unknown): string {
  const e = err as { Code?: string; name?: string; $metadata?: { httpStatusCode?: number } }
  const name = e?.Code ?? (e?.name && e.name !== 'Error' && e.name !== 'Unknown' ? e.name : undefined)
  const status = e?.$metadata?.httpStatusCode
  return [name, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ') || 'error'
}

/** A store that is busy right now (by code, or by status when a HEAD has no body): waiting helps. */
function isBusy(err: unknown): boolean {
  const e = err as { Code?: string; name?: string; $metadata?: { httpStatusCode?: number } }
  const status = e?.$metadata?.httpStatusCode
  return (
    status === 503 ||
    status === 429 ||
    /^(SlowDown|ServiceUnavailable|Throttling|ThrottlingException|RequestTimeout)$/.test(
      e?.Code ?? e?.name ?? '',
    )
  )
}

function describe(target: ConnectionTarget): string {
  return target.kind === 'object'
    ? `s3://${target.bucket}/${target.key}`
    : `s3://${target.bucket}/${target.prefix}`
}

/** The system error code under the SDK's wrapping (ECONNREFUSED, ENOTFOUND…), if there is one. */
function systemCode(err: unknown): string | undefined {
  const seen = new Set<unknown>()
  const queue = [err]
  while (queue.length > 0) {
    const e = queue.shift() as { code?: unknown; cause?: unknown; errors?: unknown } | undefined
    if (!e || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code
    queue.push(e.cause)
    if (Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]))
  }
  return undefined
}

function explain(err: unknown, target: ConnectionTarget, endpoint: string): string {
  const what = describe(target)
  if (err instanceof BothFailed) {
    return (
      `${endpoint} failed a listing of ${what} (${errorCode(err.listErr)}) and a HEAD of the bucket ` +
      `"${target.bucket}" (${errorCode(err.headErr)}): the store itself reports an error. Check its logs, ` +
      `or test one object with its s3:// path.`
    )
  }
  const sys = systemCode(err)
  if (sys === 'ECONNREFUSED') {
    return `Could not connect to ${endpoint}: connection refused. Check the endpoint URL in Settings and that the server is running.`
  }
  if (sys === 'ENOTFOUND' || sys === 'EAI_AGAIN') {
    return `Could not find the host of ${endpoint}: check the endpoint URL in Settings.`
  }
  const name = (err as { name?: string })?.name
  if (sys === 'ETIMEDOUT' || name === 'TimeoutError' || name === 'AbortError') {
    return `${endpoint} did not answer within ${TIMEOUT_MS / 1000} s: check the endpoint URL and the network.`
  }
  const code = (err as { Code?: string; name?: string })?.Code ?? name
  const classified = classifyS3Error(err, what, target.kind === 'object' ? 'HEAD' : 'ListObjectsV2')
  switch (classified.code) {
    case 'not_found':
      if (code === 'NoSuchBucket' || target.kind === 'bucket') {
        return `The bucket "${target.bucket}" does not exist at ${endpoint}: check the bucket name (and the endpoint and region).`
      }
      return `Nothing at ${what} (or its bucket does not exist): check the path. The store itself answered.`
    case 'access_denied':
      if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') return classified.message
      return target.kind === 'bucket'
        ? `Access denied listing ${what}: the credentials lack s3:ListBucket there. Check the AWS profile or keys in Settings, or load a model config file instead of scanning.`
        : `Access denied to ${what}: check the AWS profile or keys in Settings.`
    case 'credentials_missing':
    case 'credentials_expired':
      return classified.message
    case 'server_error':
      // A busy store asks to wait; an internal error usually comes back the same: say so, not "later".
      return isBusy(err)
        ? `${endpoint} is busy (${errorCode(err)}): try again in a minute.`
        : `${endpoint} failed the request (${errorCode(err)}): the store itself reports an error. Check its logs.`
    case 'network':
      return `Network error talking to ${endpoint}: ${(err as Error).message}. Check the endpoint URL and the network.`
    default:
      return classified.message
  }
}
