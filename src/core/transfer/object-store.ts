import type { GetObjectCommandOutput, HeadObjectCommandOutput } from '@aws-sdk/client-s3'
import type { S3Settings, TransferTuning } from '../../shared/transfer'
import { pathStyleRoute, type ObjectGet, type SigningConfig } from './direct-get'
import { ObjectWire } from './object-wire'
import { resolveEndpoint, resolveRegion, staticCredentials, usesPathStyle } from './s3-endpoint'
import type { S3Location } from './s3-uri'
import type { SdkObjectCalls } from './sdk-object-calls'
import { Sha256 } from './sigv4-sha256'

type Env = Record<string, string | undefined>

/**
 * What a transfer asks of S3: an object's GET (its body a FastBody) and its HEAD. A GET is signed
 * and sent by us when its bucket's route is known (see DirectGets); the SDK is loaded only for what
 * needs it: a HEAD, a bucket whose route must be learned from the SDK's first GET, credentials that
 * only its chain can find (profiles, SSO, roles), an answer that needs its redirects or its error
 * handling.
 *
 * Why: loading the SDK is most of a worker's start, and the first GET through its middleware adds
 * more (docs/benchmarks.md, "Measurements behind the engine's choices"). A `modeldl get` from a
 * custom endpoint with keys in the settings or the environment (MinIO, R2, B2, s3rver) now sends its
 * first GETs without waiting for either.
 */
export class ObjectStore {
  private readonly wire: ObjectWire
  /** Keys the SDK's chain would pick too (see staticCredentials): GETs are signed without it. */
  private readonly staticSigning: SigningConfig | null
  private sdk: Promise<SdkObjectCalls> | null = null
  /** The SDK once loaded: its signing config also carries its clock-skew correction. */
  private loaded: SdkObjectCalls | null = null
  private destroyed = false
  /**
   * MODELDL_HTTP=sdk: every GET through the SDK's own request handler (NodeHttpHandler), none over
   * our HTTP/1.1 client, so the two can be compared on the same transfers (see docs/benchmarks.md).
   */
  private readonly sdkOnly: boolean

  constructor(
    private readonly settings: S3Settings,
    private readonly tuning: Pick<TransferTuning, 'connectTimeoutMs' | 'stallTimeoutMs'>,
    private readonly env: Env = process.env,
  ) {
    this.sdkOnly = env['MODELDL_HTTP'] === 'sdk'
    const endpoint = resolveEndpoint(settings, env)
    const region = resolveRegion(settings, env)
    const certain = endpoint !== undefined && usesPathStyle(settings, env)
    this.wire = new ObjectWire({
      connectTimeoutMs: tuning.connectTimeoutMs,
      socketTimeoutMs: tuning.stallTimeoutMs,
      ...(certain ? { certainRoute: (bucket: string) => pathStyleRoute(endpoint, bucket, region) } : {}),
    })
    const credentials = staticCredentials(settings, env)
    this.staticSigning = credentials ? { credentials, sha256: Sha256 } : null
  }

  /** Whether the SDK was needed (and loaded) so far. */
  get sdkLoaded(): boolean {
    return this.sdk !== null
  }

  /** A GET of the object: directly when its bucket's route is known, else through the SDK. */
  async getObject(get: ObjectGet, signal: AbortSignal): Promise<GetObjectCommandOutput> {
    if (this.sdkOnly) return (await this.calls()).getObject(get, signal)
    const signing = this.loaded?.signing ?? this.staticSigning ?? (await this.calls()).signing
    const direct = await this.wire.sendDirect(get, signing, signal)
    if (direct) return toOutput(direct.statusCode, direct.headers, direct.body)
    return (await this.calls()).getObject(get, signal)
  }

  /** A HEAD of the object, with its checksum (ChecksumMode ENABLED), through the SDK. */
  async headObject(loc: S3Location, signal: AbortSignal): Promise<HeadObjectCommandOutput> {
    return (await this.calls()).headObject(loc, signal)
  }

  /** Closes every connection, ours and the SDK's (also the SDK's of a load still under way). */
  destroy(): void {
    this.destroyed = true
    this.wire.destroy()
    this.loaded?.destroy()
  }

  private calls(): Promise<SdkObjectCalls> {
    // Its own chunk: a worker that never needs it never loads it.
    this.sdk ??= import('./sdk-object-calls').then(({ connectSdk }) => {
      const calls = connectSdk(this.settings, this.tuning, this.env, this.sdkOnly ? null : this.wire)
      if (this.destroyed) calls.destroy()
      this.loaded = calls
      return calls
    })
    return this.sdk
  }
}

type Headers = Record<string, string>

/** The members of GetObjectCommandOutput that the transfer reads, from a direct answer's headers. */
function toOutput(status: number, h: Headers, body: unknown): GetObjectCommandOutput {
  const length = h['content-length']
  const modified = h['last-modified']
  const out: Record<string, unknown> = {
    $metadata: { httpStatusCode: status },
    Body: body,
    ContentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    LastModified: modified ? new Date(modified) : undefined,
  }
  for (const [member, header] of HEADER_MEMBERS) {
    const value = h[header]
    if (value !== undefined) out[member] = value
  }
  return out as unknown as GetObjectCommandOutput
}

const HEADER_MEMBERS: ReadonlyArray<[keyof GetObjectCommandOutput, string]> = [
  ['ETag', 'etag'],
  ['ContentRange', 'content-range'],
  ['StorageClass', 'x-amz-storage-class'],
  ['Restore', 'x-amz-restore'],
  ['ChecksumType', 'x-amz-checksum-type'],
  ['ChecksumSHA256', 'x-amz-checksum-sha256'],
  ['ChecksumCRC64NVME', 'x-amz-checksum-crc64nvme'],
  ['ChecksumCRC32', 'x-amz-checksum-crc32'],
  ['ChecksumCRC32C', 'x-amz-checksum-crc32c'],
  ['ChecksumSHA1', 'x-amz-checksum-sha1'],
  ['ServerSideEncryption', 'x-amz-server-side-encryption'],
  ['SSECustomerAlgorithm', 'x-amz-server-side-encryption-customer-algorithm'],
]
