import { isIP, connect as netConnect, type OnReadOpts, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { ResponseParser, type ResponseHandlers } from './http1-response'

export interface Origin {
  protocol: 'http:' | 'https:'
  hostname: string
  port: number
}

/**
 * Every read of a connection lands in this one buffer (net's `onread`), so a GiB costs no allocations:
 * with Node's default reads each 64 KiB chunk is a new ArrayBuffer, and the garbage collector marks
 * the SDK's heap over and over (its cost: docs/benchmarks.md).
 */
const READ_BUFFER_BYTES = 256 * 1024
/** Idle keep-alive connections are closed after this long (S3 closes them after ~20 s of silence). */
const IDLE_TIMEOUT_MS = 15_000

export function originKey(o: Origin): string {
  return `${o.protocol}//${o.hostname}:${o.port}`
}

export function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' })
}

/**
 * One HTTP/1.1 keep-alive connection carrying one request at a time. Response bytes go straight
 * from the reused read buffer to the parser; the caller's handlers see the body pieces in place.
 */
export class Http1Connection {
  readonly key: string
  private readonly socket: Socket
  private parser: ResponseParser | null = null
  private readonly ready: Promise<void>
  private pauseAfterRead = false
  private dead = false
  private failedAfterBytes = false
  /** Bytes per read, at most READ_BUFFER_BYTES. */
  private readSize = READ_BUFFER_BYTES
  /** Set by the pool while the connection waits for its next request. */
  onIdleClose: (() => void) | null = null
  requests = 0

  constructor(origin: Origin, connectTimeoutMs: number, ca?: string | Buffer) {
    this.key = originKey(origin)
    const host = origin.hostname.replace(/^\[(.*)\]$/, '$1')
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)
    const onread: OnReadOpts = {
      // Asked again after every read: a rate-limited reader wants smaller reads (see readSize).
      buffer: () => (this.readSize >= READ_BUFFER_BYTES ? buffer : buffer.subarray(0, this.readSize)),
      callback: (n, buf) => this.onRead(buf, n),
    }
    // tls.connect takes `onread` too (Node's docs say so; its types do not).
    const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = {
      host,
      port: origin.port,
      onread,
      ALPNProtocols: ['http/1.1'],
      ...(isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca } : {}),
    }
    this.socket =
      origin.protocol === 'https:' ? tlsConnect(tlsOptions) : netConnect({ host, port: origin.port, onread })
    this.socket.setNoDelay(true)
    this.ready = new Promise<void>((resolve, reject) => {
      const timer =
        connectTimeoutMs > 0
          ? setTimeout(
              () =>
                this.socket.destroy(
                  timeoutError(`Could not connect to ${this.key} within ${connectTimeoutMs} ms`),
                ),
              connectTimeoutMs,
            )
          : null
      this.socket.once(origin.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        if (timer) clearTimeout(timer)
        resolve()
      })
      this.socket.once('close', () => {
        if (timer) clearTimeout(timer)
        reject(Object.assign(new Error(`Connection to ${this.key} closed`), { code: 'ECONNRESET' }))
      })
    })
    this.ready.catch(() => undefined)
    this.socket.on('error', (err) => this.parser?.fail(err))
    this.socket.on('end', () => this.parser?.eof())
    this.socket.on('close', () => {
      this.dead = true
      this.parser?.fail(
        Object.assign(new Error('socket hang up: the connection closed'), { code: 'ECONNRESET' }),
      )
      this.onIdleClose?.()
    })
    this.socket.on('timeout', () =>
      this.socket.destroy(timeoutError(`No answer from ${this.key} within the socket timeout`)),
    )
  }

  get alive(): boolean {
    return !this.dead && !this.socket.destroyed
  }

  /** Whether any byte of the last response had arrived when it failed, or of the current one. */
  get responseStarted(): boolean {
    return this.parser?.started ?? this.failedAfterBytes
  }

  connected(): Promise<void> {
    return this.ready
  }

  /** Sends a request without a body; the handlers see the response. One request at a time. */
  send(head: string, method: string, handlers: ResponseHandlers, timeoutMs: number): void {
    this.requests++
    this.readSize = READ_BUFFER_BYTES
    this.resumeReading()
    const parser = new ResponseParser(method, {
      head: handlers.head,
      body: handlers.body,
      end: (reusable) => {
        this.parser = null
        this.socket.setTimeout(0)
        handlers.end(reusable)
      },
      error: (err) => {
        this.failedAfterBytes = parser.started
        this.parser = null
        this.destroy()
        handlers.error(err)
      },
    })
    this.parser = parser
    this.socket.setTimeout(timeoutMs)
    this.socket.write(head, 'latin1')
  }

  /**
   * Smaller reads for a slow (bandwidth-limited) reader, so that its bytes move on in small steps;
   * back to full size with a new request.
   */
  setReadSize(bytes: number): void {
    this.readSize = Math.max(4096, Math.min(READ_BUFFER_BYTES, Math.floor(bytes)))
  }

  /** Stops reading after the current read is handled (back-pressure). */
  pause(): void {
    this.pauseAfterRead = true
  }

  resume(): void {
    if (this.pauseAfterRead) this.resumeReading()
  }

  /** The wait for the response head is over: body stalls are the reader's to detect. */
  stopTimeout(): void {
    this.socket.setTimeout(0)
  }

  /** Waiting in the pool: still reading, so that a close by the server is noticed. */
  idle(timeoutMs = IDLE_TIMEOUT_MS): void {
    this.resumeReading()
    this.socket.setTimeout(timeoutMs)
    this.socket.unref()
  }

  busy(): void {
    this.socket.ref()
  }

  private resumeReading(): void {
    this.pauseAfterRead = false
    if (this.alive) this.socket.resume()
  }

  destroy(err?: Error): void {
    this.dead = true
    this.socket.destroy(err)
  }

  private onRead(buf: Uint8Array, n: number): boolean {
    const data = Buffer.from(buf.buffer, buf.byteOffset, n)
    if (!this.parser) {
      // Bytes nobody asked for on an idle connection: it cannot be trusted with a request.
      this.destroy()
      return false
    }
    this.parser.feed(data)
    return !this.pauseAfterRead
  }
}

/** Keep-alive connections by origin; at most one request on each at a time. */
export class Http1Pool {
  private readonly idle = new Map<string, Http1Connection[]>()
  private closed = false

  /** `ca`: certificates to trust instead of Node's (tests; the system's come from NODE_EXTRA_CA_CERTS). */
  constructor(private readonly ca?: string | Buffer) {}

  /** An idle connection to the origin, else a new one; `reused` tells which. */
  take(origin: Origin, connectTimeoutMs: number): { conn: Http1Connection; reused: boolean } {
    if (this.closed) throw new Error('The HTTP connection pool is closed')
    const list = this.idle.get(originKey(origin))
    while (list && list.length > 0) {
      const conn = list.pop()!
      conn.onIdleClose = null
      if (conn.alive) {
        conn.busy()
        return { conn, reused: true }
      }
    }
    return { conn: new Http1Connection(origin, connectTimeoutMs, this.ca), reused: false }
  }

  /** Back to the pool after a complete response, or closed. */
  give(conn: Http1Connection, reusable: boolean): void {
    if (!reusable || this.closed || !conn.alive) return conn.destroy()
    let list = this.idle.get(conn.key)
    if (!list) this.idle.set(conn.key, (list = []))
    const idleList = list
    idleList.push(conn)
    conn.onIdleClose = () => {
      const i = idleList.indexOf(conn)
      if (i >= 0) idleList.splice(i, 1)
    }
    conn.idle()
  }

  close(): void {
    this.closed = true
    for (const list of this.idle.values()) for (const conn of list.splice(0)) conn.destroy()
    this.idle.clear()
  }
}
