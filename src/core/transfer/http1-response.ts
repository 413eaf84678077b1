/**
 * An HTTP/1.1 response parser for bytes that arrive in a reused read buffer: it keeps nothing of the
 * body (each piece is handed on while its bytes are valid) and copies only the head, which is small.
 * Framing by Content-Length, chunked transfer coding, or the end of the connection; 1xx answers are
 * skipped. One parser per response.
 */

export interface ResponseHead {
  statusCode: number
  reason: string
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
}

export interface ResponseHandlers {
  head(head: ResponseHead): void
  /** A piece of the body, valid only during the call. */
  body(piece: Buffer): void
  /** The body is complete; `reusable` says whether the connection can carry another request. */
  end(reusable: boolean): void
  error(err: Error): void
}

/** Headers larger than this are refused (S3 sends a few KB). */
const MAX_HEAD_BYTES = 64 * 1024
const MAX_CHUNK_LINE_BYTES = 4 * 1024
const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1')

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'close' | 'done'

/** A malformed or cut-short response; `code` lets the engine's error mapping treat it as a network failure. */
export function protocolError(message: string, code = 'HPE_INVALID'): Error {
  return Object.assign(new Error(message), { code })
}

export class ResponseParser {
  private state: State = 'head'
  private head: Buffer = Buffer.alloc(0)
  private remaining = 0
  private line = ''
  private keepAlive = false
  private failed = false
  private skipped = false

  constructor(
    private readonly method: string,
    private readonly on: ResponseHandlers,
  ) {}

  get done(): boolean {
    return this.state === 'done' || this.failed
  }

  /** Whether any byte of the response has arrived (a reused connection that fails before that can be retried). */
  get started(): boolean {
    return this.state !== 'head' || this.head.length > 0 || this.skipped
  }

  /** Bytes read from the connection. */
  feed(data: Buffer): void {
    let at = 0
    while (at < data.length && !this.done) {
      switch (this.state) {
        case 'head':
          at = this.feedHead(data, at)
          break
        case 'length': {
          const n = Math.min(this.remaining, data.length - at)
          this.remaining -= n
          this.on.body(data.subarray(at, at + n))
          at += n
          if (this.remaining === 0) {
            // Bytes beyond the announced length: the body is whole, the connection is not trustworthy.
            this.finish(this.keepAlive && at === data.length)
            return
          }
          break
        }
        case 'chunk-size':
        case 'chunk-crlf':
        case 'trailer':
          at = this.feedLine(data, at)
          break
        case 'chunk-data': {
          const n = Math.min(this.remaining, data.length - at)
          this.remaining -= n
          this.on.body(data.subarray(at, at + n))
          at += n
          if (this.remaining === 0) this.state = 'chunk-crlf'
          break
        }
        case 'close':
          this.on.body(data.subarray(at))
          at = data.length
          break
        case 'done':
          return
      }
    }
  }

  /** The peer closed the connection. */
  eof(): void {
    if (this.done) return
    if (this.state === 'close') return this.finish(false)
    this.fail(
      this.state === 'head'
        ? protocolError('socket hang up: the connection closed before a response', 'ECONNRESET')
        : protocolError(
            'The connection closed before the response body ended (premature close)',
            'ERR_STREAM_PREMATURE_CLOSE',
          ),
    )
  }

  fail(err: Error): void {
    if (this.done) return
    this.failed = true
    this.on.error(err)
  }

  private finish(reusable: boolean): void {
    this.state = 'done'
    this.on.end(reusable)
  }

  private feedHead(data: Buffer, at: number): number {
    // Usually the whole head is in one read: search it in place and copy nothing of the body.
    const held = this.head.length
    const view = held === 0 ? data.subarray(at) : Buffer.concat([this.head, data.subarray(at)])
    const end = view.indexOf(CRLF_CRLF, Math.max(0, held - 3))
    if (end < 0) {
      this.head = Buffer.from(view)
      if (this.head.length > MAX_HEAD_BYTES) this.fail(protocolError('Response headers too large'))
      return data.length
    }
    const next = at + end + 4 - held
    const parsed = parseHead(view.toString('latin1', 0, end))
    this.head = Buffer.alloc(0)
    if (parsed instanceof Error) {
      this.fail(parsed)
      return data.length
    }
    // 100 Continue, 103 Early Hints: the real answer follows.
    if (parsed.head.statusCode < 200) {
      this.skipped = true
      return next
    }
    this.startBody(parsed.head, parsed.http10, next < data.length)
    return next
  }

  private startBody(head: ResponseHead, http10: boolean, moreBytes: boolean): void {
    const h = head.headers
    const connection = (h['connection'] ?? '').toLowerCase()
    this.keepAlive = http10 ? /\bkeep-alive\b/.test(connection) : !/\bclose\b/.test(connection)
    const te = h['transfer-encoding']
    const cl = h['content-length']
    let body: 'none' | 'length' | 'chunked' | 'close'
    if (this.method === 'HEAD' || head.statusCode === 204 || head.statusCode === 304) body = 'none'
    else if (te !== undefined) {
      // RFC 9112 6.3: chunked last means chunked; any other coding is framed by the connection's end.
      body = /(?:^|,)\s*chunked\s*$/i.test(te) ? 'chunked' : 'close'
    } else if (cl !== undefined) {
      const values = new Set(cl.split(',').map((v) => v.trim()))
      const [only] = values
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        return this.fail(protocolError(`Invalid Content-Length "${cl}"`))
      }
      this.remaining = Number(only)
      body = this.remaining === 0 ? 'none' : 'length'
    } else body = 'close'
    if (body === 'close') this.keepAlive = false
    this.state = body === 'length' ? 'length' : body === 'chunked' ? 'chunk-size' : 'close'
    this.on.head(head)
    // No body: complete now; bytes after it mean the connection cannot be trusted with another request.
    if (body === 'none') this.finish(this.keepAlive && !moreBytes)
  }

  /** CRLF-terminated lines of the chunked coding: chunk sizes, the CRLF after data, trailers. */
  private feedLine(data: Buffer, at: number): number {
    const nl = data.indexOf(0x0a, at)
    const upto = nl < 0 ? data.length : nl
    this.line += data.toString('latin1', at, upto)
    if (this.line.length > MAX_CHUNK_LINE_BYTES) {
      this.fail(protocolError('Chunked encoding line too long'))
      return data.length
    }
    if (nl < 0) return data.length
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line
    this.line = ''
    if (this.state === 'chunk-size') {
      const m = /^([0-9a-fA-F]{1,12})(?:\s*;.*)?$/.exec(line.trim())
      if (!m) {
        this.fail(protocolError(`Invalid chunk size line "${line.slice(0, 40)}"`))
        return data.length
      }
      this.remaining = parseInt(m[1]!, 16)
      this.state = this.remaining === 0 ? 'trailer' : 'chunk-data'
    } else if (this.state === 'chunk-crlf') {
      if (line !== '') {
        this.fail(protocolError('Missing CRLF after chunk data'))
        return data.length
      }
      this.state = 'chunk-size'
    } else if (line === '') {
      // The empty line after the last chunk (and any trailer fields, which are ignored).
      this.finish(this.keepAlive && nl + 1 === data.length)
    }
    return nl + 1
  }
}

function parseHead(text: string): { head: ResponseHead; http10: boolean } | Error {
  const lines = text.split('\r\n')
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
  if (!status) return protocolError(`Not an HTTP/1.x response: "${(lines[0] ?? '').slice(0, 60)}"`)
  const headers: Record<string, string> = {}
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0 || /\s/.test(line[0]!)) return protocolError(`Invalid header line "${line.slice(0, 60)}"`)
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return {
    head: { statusCode: Number(status[2]), reason: status[3] ?? '', headers },
    http10: status[1] === '0',
  }
}
