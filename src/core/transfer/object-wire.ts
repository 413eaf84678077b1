import { Readable } from 'node:stream'
import type { HttpResponse } from '@smithy/types'
import {
  DirectGets,
  S3ErrorAnswer,
  escapeUri,
  needsSdk,
  type ObjectGet,
  type ObjectRoute,
  type SigningConfig,
  type WireRequest,
} from './direct-get'
import { Http1Pool, type Http1Connection, type Origin } from './http1-connection'
import type { ResponseHead } from './http1-response'

/** Error answers are small XML documents; a larger one is cut off here. */
const MAX_ERROR_BODY_BYTES = 1024 * 1024

export interface WireOptions {
  connectTimeoutMs: number
  socketTimeoutMs: number
  ca?: string | Buffer
  /** A bucket's route when the settings alone decide it (see pathStyleRoute); else learned from the SDK. */
  certainRoute?: (bucket: string) => ObjectRoute | null
}

/**
 * Object GETs over our own HTTP/1.1 connections, whose reads land in a reused buffer and reach the
 * caller without a copy, an allocation or a stream in between (see FastBody). It holds the routes
 * of DirectGets: sendDirect() signs and sends a GET without the SDK when its bucket's route is
 * known, and FastHttpHandler sends the SDK's own object GETs through get() and teaches their routes
 * with learn(). Nothing here loads the SDK, so a transfer can start before it is loaded.
 */
export class ObjectWire {
  private readonly pool: Http1Pool
  private readonly direct: DirectGets

  constructor(private readonly options: WireOptions) {
    this.pool = new Http1Pool(options.ca)
    this.direct = new DirectGets(options.certainRoute)
  }

  /** Remembers the route of a GET the SDK sent and the server answered with 2xx. */
  learn(request: WireRequest, route: Pick<ObjectGet, 'bucket' | 'key'>): void {
    this.direct.learn(request, route)
  }

  /**
   * The GET signed by us and sent without the SDK (see DirectGets), answered with 2xx; or null when
   * the bucket has no route yet or the answer says the route or signature is wrong: then the caller
   * asks the SDK. Other error answers (404, 412, 5xx) reject with an S3ErrorAnswer.
   */
  async sendDirect(
    get: ObjectGet,
    config: SigningConfig,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse | null> {
    const request = await this.direct.sign(get, config)
    if (!request) return null
    const { response } = await this.get(request, signal)
    if (isSuccess(response.statusCode)) return response
    if (needsSdk(response.statusCode)) {
      this.direct.forget(get.bucket)
      return null
    }
    const xml: Buffer[] = []
    for await (const piece of response.body as AsyncIterable<Buffer>) xml.push(piece)
    throw new S3ErrorAnswer(response.statusCode, Buffer.concat(xml).toString('utf8'))
  }

  /** Sends a GET as signed; a 2xx answer's body is a FastBody, an error answer's is read whole. */
  async get(request: WireRequest, signal: AbortSignal | undefined): Promise<{ response: HttpResponse }> {
    const origin: Origin = {
      protocol: request.protocol === 'https:' ? 'https:' : 'http:',
      hostname: request.hostname,
      port: request.port ?? (request.protocol === 'https:' ? 443 : 80),
    }
    const head = requestHead(request)
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortError(signal)
      const { conn, reused } = this.pool.take(origin, this.options.connectTimeoutMs)
      try {
        return await this.exchange(conn, head, signal)
      } catch (err) {
        // A kept-alive connection the server closed meanwhile fails before any byte of an answer:
        // a GET is safe to send again, once, on a new connection.
        if (reused && attempt === 1 && !conn.responseStarted && !signal?.aborted) continue
        throw err
      }
    }
  }

  destroy(): void {
    this.pool.close()
  }

  private exchange(
    conn: Http1Connection,
    head: string,
    signal: AbortSignal | undefined,
  ): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      let body: FastBody | null = null
      let errorBody: Buffer[] | null = null
      let errorBytes = 0
      let answered: ResponseHead | null = null
      const onAbort = (): void => {
        const err = abortError(signal!)
        conn.destroy()
        if (body) body.fail(err)
        else reject(err)
      }
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort)
      signal?.addEventListener('abort', onAbort, { once: true })
      conn.send(
        head,
        'GET',
        {
          head: (h) => {
            answered = h
            conn.stopTimeout()
            if (isSuccess(h.statusCode)) {
              body = new FastBody(conn, cleanup)
              resolve({ response: { statusCode: h.statusCode, reason: h.reason, headers: h.headers, body } })
            } else errorBody = []
          },
          body: (piece) => {
            if (body) return body.deliver(piece)
            if (errorBody && errorBytes < MAX_ERROR_BODY_BYTES) {
              errorBody.push(Buffer.from(piece))
              errorBytes += piece.length
            }
          },
          end: (reusable) => {
            if (body) {
              this.pool.give(conn, reusable)
              return body.finish()
            }
            cleanup()
            this.pool.give(conn, reusable)
            const h = answered!
            resolve({
              response: {
                statusCode: h.statusCode,
                reason: h.reason,
                headers: h.headers,
                body: Readable.from([Buffer.concat(errorBody ?? [])]),
              },
            })
          },
          error: (err) => {
            if (body) return body.fail(err)
            cleanup()
            reject(err)
          },
        },
        this.options.socketTimeoutMs,
      )
    })
  }
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

/** `GET /path?query HTTP/1.1` and the SDK's headers (Host among them), exactly as signed. */
function requestHead(request: WireRequest): string {
  let path = request.path
  const query = request.query ? buildQueryString(request.query) : ''
  if (query) path += `?${query}`
  let head = `GET ${path} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(request.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`Invalid header ${name}`)
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

// The SDK's own query encoding (@smithy/core's buildQueryString): the signature covers these bytes.
function buildQueryString(query: Record<string, string | Array<string | null> | null>): string {
  const parts: string[] = []
  for (const key of Object.keys(query).sort()) {
    const value = query[key]
    const k = escapeUri(key)
    if (Array.isArray(value)) for (const v of value) parts.push(`${k}=${escapeUri(v ?? '')}`)
    else parts.push(value || typeof value === 'string' ? `${k}=${escapeUri(value)}` : k)
  }
  return parts.join('&')
}

/** Like the SDK's: name AbortError, the signal's reason as cause or message. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  const err = new Error(reason instanceof Error || reason === undefined ? 'Request aborted' : String(reason))
  err.name = 'AbortError'
  if (reason instanceof Error) err.cause = reason
  return err
}

type Sink = (piece: Buffer) => void | Promise<unknown>

/**
 * A response body read straight from the connection's buffer. `pipeTo` hands each piece to a sink
 * while its bytes are valid (the next read reuses them), and reading pauses while a promise the sink
 * returned is pending. It is also an ordinary Readable (copies), which is what the SDK checks for.
 */
export class FastBody extends Readable {
  private sink: Sink | null = null
  /** Pieces that arrived before a sink was attached, copied (at most one read's worth). */
  private early: Buffer[] = []
  private ended = false
  private failure: Error | null = null
  private holds = 0
  private settle: { resolve(): void; reject(err: Error): void } | null = null
  private readWaiter: (() => void) | null = null

  constructor(
    private readonly conn: Http1Connection,
    private readonly onSettled: () => void,
  ) {
    super()
    // Failures reach pipeTo's promise; a stream reader has listeners of its own. Without this one, a
    // destroy(err) on a body nobody reads as a stream would be an uncaught 'error' event.
    this.on('error', () => undefined)
    // Nothing more is read until somebody wants the body.
    conn.pause()
  }

  /** Resolves once the whole body went through `sink`; rejects on a network error or an abort. */
  pipeTo(sink: Sink): Promise<void> {
    if (this.sink) return Promise.reject(new Error('The body is already being read'))
    this.sink = sink
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject }
      for (const piece of this.early.splice(0)) {
        if (this.failure) break
        this.hand(piece)
      }
      if (this.failure) return this.conclude()
      if (this.ended) return this.conclude()
      if (this.holds === 0) this.conn.resume()
    })
  }

  /** Caps each read at `bytes` (a bandwidth-limited reader takes the body in small steps). */
  setReadSize(bytes: number): void {
    if (!this.ended) this.conn.setReadSize(bytes)
  }

  /** @internal from the connection */
  deliver(piece: Buffer): void {
    if (this.failure) return
    if (!this.sink) {
      this.early.push(Buffer.from(piece))
      return
    }
    this.hand(piece)
  }

  /** @internal */
  finish(): void {
    this.ended = true
    this.onSettled()
    if (this.sink && this.early.length === 0) this.conclude()
    if (this.readWaiter) this.readWaiter()
  }

  /** @internal */
  fail(err: Error): void {
    if (this.failure || (this.ended && this.early.length === 0)) return
    this.failure = err
    // Once ended, the connection went back to the pool and belongs to another request.
    if (!this.ended) {
      this.conn.destroy()
      this.onSettled()
    }
    this.conclude()
    this.destroy(err)
  }

  override _read(): void {
    if (this.readWaiter) {
      const w = this.readWaiter
      this.readWaiter = null
      return w()
    }
    if (this.sink) return
    // Read as a plain stream: copies, with the stream's own back-pressure.
    this.pipeTo((piece) => {
      if (this.push(Buffer.from(piece))) return
      return new Promise<void>((resolve) => (this.readWaiter = resolve))
    }).then(
      () => this.push(null),
      (err: Error) => this.destroy(err),
    )
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Given up before its end: the connection cannot carry another request.
    if (!this.ended && !this.failure) {
      this.failure = err ?? new Error('The response body was abandoned')
      this.conn.destroy()
      this.onSettled()
      this.conclude()
    }
    cb(err)
  }

  private hand(piece: Buffer): void {
    let held: void | Promise<unknown>
    try {
      held = this.sink!(piece)
    } catch (err) {
      return this.fail(err as Error)
    }
    if (held) {
      this.holds++
      if (!this.ended) this.conn.pause()
      held.then(
        () => {
          if (--this.holds === 0 && !this.failure && !this.ended) this.conn.resume()
        },
        (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
      )
    }
  }

  private conclude(): void {
    const s = this.settle
    if (!s) return
    this.settle = null
    if (this.failure) s.reject(this.failure)
    else s.resolve()
  }
}
