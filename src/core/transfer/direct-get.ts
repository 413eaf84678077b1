import { SignatureV4 } from '@smithy/signature-v4'
import type {
  AwsCredentialIdentity,
  ChecksumConstructor,
  HashConstructor,
  HttpRequest,
  Provider,
} from '@smithy/types'
import type { Origin } from './http1-connection'

/**
 * Object GETs that we sign and send ourselves, without the SDK's middleware stack.
 *
 * Why: for small files the stack is the largest cost we have (resolving the middleware list per
 * command, endpoint rules, serializing, the auth-scheme selection), many times what signing costs.
 * Measurements: docs/benchmarks.md, "Measurements behind the engine's choices".
 *
 * How, without guessing S3's addressing: a bucket's route is either certain from the settings alone
 * (a custom endpoint addressed path-style, where the URL is the endpoint, the bucket and the key, and
 * no region redirect exists: see pathStyleRoute), or learned. A bucket without a certain route has
 * its first GET sent through the SDK; when that comes back 2xx, its request (already resolved:
 * endpoint, path or virtual-host style, the region after any redirect the SDK followed) is
 * remembered as the bucket's route. Later GETs of that bucket reuse the route, with the headers a
 * GET needs (host, payload hash, range, If-Match, checksum mode; not the SDK's user agent or
 * invocation id), signed by the same SigV4 signer the SDK uses (@smithy/signature-v4; the SDK's
 * credential provider and clock-skew correction, or the static keys the SDK would have used). An
 * answer that says the route or the signature is wrong (3xx, 400, 401, 403) forgets the route and is
 * asked again through the SDK, which owns redirects, clock-skew correction and credential refresh;
 * any other error answer (404, 412, 5xx) is final and becomes an error shaped like the SDK's (name =
 * S3's Code, $metadata).
 */

/** What one object GET asks for. */
export interface ObjectGet {
  bucket: string
  key: string
  /** `bytes=a-b` */
  range?: string
  ifMatch?: string
  /** Ask for the object's checksum headers (`x-amz-checksum-mode: ENABLED`). */
  checksumMode?: boolean
}

/** The parts of the S3 client's resolved config the signer needs. */
export interface SigningConfig {
  credentials: Provider<AwsCredentialIdentity> | AwsCredentialIdentity
  sha256: ChecksumConstructor | HashConstructor
  systemClockOffset?: number
}

/** A request as the SDK's HTTP handlers take it. */
export type WireRequest = HttpRequest

/** Where a bucket's objects are fetched: certain from the settings, or read off a GET the SDK sent. */
export interface ObjectRoute {
  origin: Origin
  host: string
  /** The path before the key: `/bucket/` path-style, `/` virtual-hosted. */
  pathPrefix: string
  region: string
}

/** The SHA-256 of an empty body: what the SDK sends as the payload hash of a GET. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
/** A plain SigV4 signature for S3; anything else (SigV4a, S3 Express sessions) keeps the SDK's path. */
const SIGV4_SCOPE = /^AWS4-HMAC-SHA256 Credential=[^/,]+\/\d{8}\/([^/,]+)\/s3\/aws4_request,/

/** RFC 3986 escaping as the SDK does it (@smithy's escapeUri), for key segments and query strings. */
export const escapeUri = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** The SDK's encoding of a greedy path label ({Key+}): each segment as escapeUri, slashes kept. */
export function encodeKey(key: string): string {
  return key.split('/').map(escapeUri).join('/')
}

export class DirectGets {
  /** Per bucket: its route, or null while the SDK must send its GETs (until one teaches a route). */
  private readonly routes = new Map<string, ObjectRoute | null>()
  private readonly signers = new Map<string, SignatureV4>()

  /** `certain`: a bucket's route when the settings alone decide it (see pathStyleRoute). */
  constructor(private readonly certain: (bucket: string) => ObjectRoute | null = () => null) {}

  /** Remembers how the SDK reached `get.bucket`, if its request is one we can reproduce. */
  learn(request: WireRequest, get: Pick<ObjectGet, 'bucket' | 'key'>): void {
    this.routes.set(get.bucket, routeOf(request, get.key))
  }

  /** The bucket's GETs go through the SDK again, until one of them teaches a route. */
  forget(bucket: string): void {
    this.routes.set(bucket, null)
  }

  /** The GET signed and ready to send, or null while the bucket has no route (the SDK goes first). */
  async sign(get: ObjectGet, config: SigningConfig): Promise<WireRequest | null> {
    let route = this.routes.get(get.bucket)
    if (route === undefined) {
      route = this.certain(get.bucket)
      this.routes.set(get.bucket, route)
    }
    if (!route) return null
    const headers: Record<string, string> = { host: route.host, 'x-amz-content-sha256': EMPTY_SHA256 }
    if (get.ifMatch !== undefined) headers['if-match'] = get.ifMatch
    if (get.range !== undefined) headers['range'] = get.range
    if (get.checksumMode) headers['x-amz-checksum-mode'] = 'ENABLED'
    const request: WireRequest = {
      method: 'GET',
      protocol: route.origin.protocol,
      hostname: route.origin.hostname,
      port: route.origin.port,
      path: route.pathPrefix + encodeKey(get.key),
      query: { 'x-id': 'GetObject' },
      headers,
    }
    return this.signer(route.region, config).sign(request, {
      signingDate: new Date(Date.now() + (config.systemClockOffset ?? 0)),
      signingRegion: route.region,
      signingService: 's3',
    })
  }

  /** One signer per region; each caches its signing key for the day, as the SDK's does. */
  private signer(region: string, config: SigningConfig): SignatureV4 {
    let signer = this.signers.get(region)
    if (!signer) {
      signer = new SignatureV4({
        credentials: config.credentials,
        region,
        service: 's3',
        sha256: config.sha256,
        // S3 signs the path as sent (the key is already encoded once), like the SDK's S3 signer.
        uriEscapePath: false,
        applyChecksum: false,
      })
      this.signers.set(region, signer)
    }
    return signer
  }
}

/**
 * The route of a bucket on a custom endpoint addressed path-style: `<endpoint>/<bucket>/<key>`,
 * signed for the configured region, as the SDK's endpoint rules build it. Null where the SDK's
 * rules would do more than join them (an endpoint with a path, a query or user info; an IPv6 host;
 * a bucket name that URI encoding would change): then the SDK's first GET teaches the route.
 */
export function pathStyleRoute(endpoint: string, bucket: string, region: string): ObjectRoute | null {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return null
  }
  const https = url.protocol === 'https:'
  if (!https && url.protocol !== 'http:') return null
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username || url.password) return null
  if (url.hostname.startsWith('[') || !/^[A-Za-z0-9._-]+$/.test(bucket)) return null
  return {
    origin: {
      protocol: https ? 'https:' : 'http:',
      hostname: url.hostname,
      port: url.port ? Number(url.port) : https ? 443 : 80,
    },
    // URL.host leaves out a default port, as the SDK's Host header does.
    host: url.host,
    pathPrefix: `/${bucket}/`,
    region,
  }
}

/** The route a signed SDK request took, or null when it is not a plain SigV4 GET of `key`. */
function routeOf(request: WireRequest, key: string): ObjectRoute | null {
  const h = request.headers
  const scope = SIGV4_SCOPE.exec(h['authorization'] ?? '')
  if (!scope || h['x-amz-s3session-token'] !== undefined) return null
  const encoded = encodeKey(key)
  if (!request.path.endsWith(encoded) || !h['host']) return null
  // Only the plain form (`?x-id=GetObject`): a version or a part number is not reused for other keys.
  const query = Object.keys(request.query ?? {})
  if (query.some((q) => q !== 'x-id')) return null
  const https = request.protocol === 'https:'
  return {
    origin: {
      protocol: https ? 'https:' : 'http:',
      hostname: request.hostname,
      port: request.port ?? (https ? 443 : 80),
    },
    host: h['host'],
    pathPrefix: request.path.slice(0, request.path.length - encoded.length),
    region: scope[1]!,
  }
}

/** Whether an error answer means the route or the signature is wrong, so the SDK must ask instead. */
export function needsSdk(status: number): boolean {
  return (status >= 300 && status < 400) || status === 400 || status === 401 || status === 403
}

/** An S3 error answer, shaped as the SDK's service exceptions are (what classifyS3Error reads). */
export class S3ErrorAnswer extends Error {
  readonly $metadata: { httpStatusCode: number }
  readonly Code: string | undefined

  constructor(status: number, xml: string) {
    const code = xmlField(xml, 'Code')
    super(xmlField(xml, 'Message') ?? `HTTP ${status}`)
    this.name = code ?? `HTTP ${status}`
    this.Code = code
    this.$metadata = { httpStatusCode: status }
  }
}

function xmlField(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]{1,1024})</${tag}>`).exec(xml)
  return m?.[1]
}
