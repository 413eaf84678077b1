import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Agent } from 'node:https'
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import { printableUrl } from '../../url/printable-url'
import { TransferError, throwIfStopped } from '../errors'
import type { ObjectInfo } from '../head'
import type { ObjectSource, SourceGet } from '../object-source'
import { waitBeforeRetry } from '../retry'
import { isPrivateHost } from './address-policy'
import { civitaiSha256 } from './civitai-hash'
import { fileNameFromDisposition } from './content-disposition'
import { classifyHttpError, statusError } from './http-errors'
import type { RoutedUrl } from './known-hosts'
import { requestFollowing, type Answer } from './redirecting-request'

/** What a HEAD (or first GET) of a URL tells beyond ObjectInfo. */
export interface UrlInfo extends ObjectInfo {
  /** From Content-Disposition (CivitAI), else the last segment of the path; null if neither is usable. */
  fileName: string | null
}

export interface HttpSourceOptions {
  agent: Agent
  connectTimeoutMs: number
  log?(level: 'info' | 'warn', message: string): void
}

/**
 * An https URL as a transfer's source. Its HEAD follows the redirects (Hugging Face → its CDN) and
 * ranges are then asked of the URL that answered, with `If-Range` on the validator it gave: a file
 * that changed answers 200 in full, which fails as object_changed instead of mixing two versions.
 * Hugging Face's `X-Linked-Etag` (the LFS sha256) and CivitAI's published SHA256 verify the bytes.
 */
export class HttpObjectSource implements ObjectSource {
  readonly name: string
  readonly identity: string
  private readonly allowPrivate: boolean
  /** Where ranges are asked: the URL that answered the HEAD (the CDN's), until it stops answering. */
  private resolved: URL | null = null
  /** `If-Range`: a strong ETag or, lacking one, Last-Modified. */
  private ifRange: string | undefined

  constructor(
    private readonly routed: RoutedUrl,
    private readonly options: HttpSourceOptions,
  ) {
    this.name = printableUrl(routed.url.href)
    this.identity = this.name
    this.allowPrivate = isPrivateHost(routed.url.hostname)
  }

  async head(signal: AbortSignal, maxAttempts: number): Promise<UrlInfo> {
    const answer = await this.withRetries('HEAD', signal, maxAttempts, async () => {
      const head = await this.send(this.routed.url, 'HEAD', {}, signal)
      // Presigned CDN links are signed for GET only (and some servers refuse HEAD): one byte instead.
      if (head.response.statusCode === 403 || head.response.statusCode === 405) {
        head.response.resume()
        return this.send(this.routed.url, 'GET', { range: 'bytes=0-0' }, signal)
      }
      return head
    })
    answer.response.resume()
    return this.describe(answer, signal)
  }

  async open(
    signal: AbortSignal,
    maxAttempts: number,
  ): Promise<{ info: UrlInfo; response: GetObjectCommandOutput }> {
    const answer = await this.withRetries('GET', signal, maxAttempts, () =>
      this.send(this.routed.url, 'GET', {}, signal),
    )
    try {
      return { info: await this.describe(answer, signal), response: toOutput(answer.response) }
    } catch (err) {
      answer.response.destroy()
      throw err
    }
  }

  async get(request: SourceGet, signal: AbortSignal): Promise<GetObjectCommandOutput> {
    const headers: Record<string, string> = {}
    if (request.range) headers['range'] = request.range
    if (request.range && this.ifRange) headers['if-range'] = this.ifRange
    let answer = await this.send(this.resolved ?? this.routed.url, 'GET', headers, signal)
    // A CDN link that expired or was revoked: the original URL redirects to a fresh one.
    if (this.resolved && [401, 403, 404, 410].includes(answer.response.statusCode ?? 0)) {
      answer.response.resume()
      this.resolved = null
      answer = await this.send(this.routed.url, 'GET', headers, signal)
    }
    const { response } = answer
    this.resolved = answer.url
    const etag = strongEtag(response.headers)
    const changed =
      (request.range !== undefined && response.statusCode === 200 && this.ifRange !== undefined) ||
      (etag !== undefined && this.ifRange?.startsWith('"') === true && etag !== this.ifRange)
    if (changed) {
      response.destroy()
      throw new TransferError('object_changed', `${this.name} changed on the server during the download`)
    }
    return toOutput(response)
  }

  classify(err: unknown, op: string): TransferError {
    return classifyHttpError(err, this.name, op)
  }

  private async send(
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Answer> {
    const answer = await requestFollowing(url, {
      method,
      headers,
      ...(this.routed.authorization
        ? { auth: { origin: this.routed.url.origin, authorization: this.routed.authorization } }
        : {}),
      allowPrivate: this.allowPrivate,
      agent: this.options.agent,
      timeoutMs: this.options.connectTimeoutMs,
      signal,
    })
    const status = answer.response.statusCode ?? 0
    if (status !== 200 && status !== 206 && !(method === 'HEAD' && (status === 403 || status === 405))) {
      answer.response.resume()
      throw statusError(
        status,
        this.name,
        this.routed.kind,
        `${method}${headers['range'] ? ` ${headers['range']}` : ''}`,
      )
    }
    return answer
  }

  private async withRetries(
    op: string,
    signal: AbortSignal,
    maxAttempts: number,
    send: () => Promise<Answer>,
  ): Promise<Answer> {
    for (let failures = 1; ; failures++) {
      try {
        return await send()
      } catch (err) {
        throwIfStopped(signal)
        const e = this.classify(err, op)
        if (!e.retryable || failures >= maxAttempts) throw e
        await waitBeforeRetry(failures, signal)
      }
    }
  }

  /** Size, validator and checksum from a HEAD's (or a whole or one-byte GET's) answer and its redirects. */
  private async describe(answer: Answer, signal: AbortSignal): Promise<UrlInfo> {
    const h = answer.response.headers
    const size = sizeOf(answer.response)
    if (size === null) {
      throw new TransferError(
        'server_error',
        `The server gave no size for ${this.name} (no Content-Length or Content-Range)`,
      )
    }
    const linked = linkedHeaders(answer)
    if (linked.size !== undefined && linked.size !== size) {
      throw new TransferError(
        'size_mismatch',
        `${this.name}: the server says ${linked.size} bytes (X-Linked-Size) but its file has ${size}`,
      )
    }
    this.resolved = answer.url
    const etag = strongEtag(h)
    const lastModified = h['last-modified']
    this.ifRange = etag ?? lastModified
    const fileName = fileNameFromDisposition(h['content-disposition']) ?? lastSegment(this.routed.url)
    let sha256 = linked.sha256
    if (!sha256 && this.routed.kind === 'civitai') {
      sha256 =
        (await civitaiSha256(this.routed, fileName, {
          agent: this.options.agent,
          timeoutMs: this.options.connectTimeoutMs,
          signal,
        }).catch((err: unknown) => {
          throwIfStopped(signal)
          this.options.log?.(
            'warn',
            `CivitAI's API gave no SHA256 for ${this.name} (${String(err)}): verifying by size`,
          )
          return null
        })) ?? undefined
    }
    return {
      size,
      // The resume check needs something that names this version of the file.
      etag: etag ?? linked.etag ?? (lastModified ? `last-modified:${lastModified}` : `size:${size}`),
      lastModified: lastModified ? new Date(lastModified).toISOString() : null,
      checksum: sha256 ? { algorithm: 'sha256', hex: sha256, source: 'server' } : null,
      ranges: answer.response.statusCode === 206 || /\bbytes\b/i.test(h['accept-ranges'] ?? ''),
      fileName,
    }
  }
}

/** The headers of a response the range fetcher reads, in GetObjectCommandOutput's members. */
function toOutput(response: IncomingMessage): GetObjectCommandOutput {
  const length = response.headers['content-length']
  return {
    $metadata: { httpStatusCode: response.statusCode },
    Body: response,
    ContentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    ContentRange: response.headers['content-range'],
    ETag: response.headers.etag,
  } as unknown as GetObjectCommandOutput
}

/** The whole file's size: a range answer's total, else Content-Length of a whole answer. */
function sizeOf(response: IncomingMessage): number | null {
  const range = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(response.headers['content-range'] ?? '')
  if (response.statusCode === 206) return range ? Number(range[1]) : null
  const length = response.headers['content-length']
  return length !== undefined && /^\d+$/.test(length) ? Number(length) : null
}

function strongEtag(h: IncomingHttpHeaders): string | undefined {
  const etag = h.etag
  return etag && etag.startsWith('"') ? etag : undefined
}

/** Hugging Face's X-Linked-Etag (an LFS file's sha256, quoted) and X-Linked-Size, from any hop. */
function linkedHeaders(answer: Answer): { etag?: string; sha256?: string; size?: number } {
  for (const h of [...answer.hops, answer.response.headers]) {
    const etag = h['x-linked-etag']
    if (typeof etag !== 'string') continue
    const bare = etag.replace(/^W\//, '').replace(/"/g, '').toLowerCase()
    const size = h['x-linked-size']
    return {
      etag,
      ...(/^[0-9a-f]{64}$/.test(bare) ? { sha256: bare } : {}),
      ...(typeof size === 'string' && /^\d+$/.test(size) ? { size: Number(size) } : {}),
    }
  }
  return {}
}

function lastSegment(url: URL): string | null {
  const segment = url.pathname.split('/').pop() ?? ''
  let name: string
  try {
    name = decodeURIComponent(segment)
  } catch {
    return null
  }
  return fileNameFromDisposition(`filename*=UTF-8''${encodeURIComponent(name)}`)
}
