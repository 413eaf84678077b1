// A reverse HTTP proxy in front of s3rver that injects the failures real S3 and real networks produce:
// resets, stalls, 5xx, short and long bodies, wrong bytes, wrong ranges, changed objects, checksums.
//
// Requests are forwarded byte for byte: method, path and query (req.url as received), every header in its
// original order and spelling (rawHeaders), and the Host header unchanged. SigV4 signs Host (and Range,
// If-Match, x-amz-*): the client signs for the proxy's host:port, and any server that verifies signatures
// must see that same value. (s3rver 3.7.1 itself does not verify V4 signatures, see below.) Bodies stream
// both ways with backpressure.
//
// s3rver 3.7.1 quirks this proxy fixes or works around (real S3 behaves correctly):
// - If-Match is ignored: with enforceIfMatch (default) the proxy answers 412 PreconditionFailed itself when
//   a GET/HEAD carries an If-Match that differs from the ETag it would report (the upstream one, or the
//   one an 'etag' rule rewrites). The request still goes upstream (its signature covers If-Match, so it
//   cannot be stripped); the upstream answer is discarded.
// - No x-amz-checksum-* headers: add them with a 'headers' rule.
// - SigV4 is not verified ("unimplemented" in its authentication middleware): a wrong secret key passes;
//   only an unknown access key id (403 InvalidAccessKeyId), a skewed x-amz-date (403) or a malformed
//   Authorization header are refused. Requests without Authorization are served anonymously.
// - Not fixed here because the engine never sends them: `bytes=0-0` and multi-range return the whole
//   object with 200; suffix ranges (`bytes=-100`) return the wrong bytes; a multipart ETag is a plain MD5.
import { randomBytes } from 'node:crypto'
import { Agent, createServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface FaultMatch {
  /** HTTP method, case-insensitive ('GET', 'HEAD', ...). */
  method?: string
  /** A substring of the request path (raw or percent-decoded), e.g. the object key. */
  keyIncludes?: string
  /** A substring of the query string (without '?'), e.g. 'list-type=2' for ListObjectsV2. */
  queryIncludes?: string
  /** Only requests with `Range: bytes=N-...` where N >= this. Requests without a Range never match. */
  rangeStartAtLeast?: number
  /** true: only requests with a Range header; false: only requests without one. */
  hasRange?: boolean
}

export type Fault =
  /** Headers and `bytes` body bytes, then the TCP connection is reset (RST). */
  | { kind: 'reset-after'; bytes: number }
  /** Headers and `bytes` body bytes, then silence on an open connection until the client or close() ends it. */
  | { kind: 'stall-after'; bytes: number }
  /** Answer `status` with an S3 XML error body (`code`, `message`) without asking upstream. HEAD: no body. */
  | { kind: 'status'; status: number; code: string; message?: string }
  /** On a 206, Content-Range start and end are shifted by shiftBy; the body is unchanged. */
  | { kind: 'wrong-content-range'; shiftBy: number }
  /** Content-Length as announced, only `bytes` body bytes, then a clean close (FIN). */
  | { kind: 'truncate-body'; bytes: number }
  /**
   * The real body followed by `bytes` extra bytes ('Z'). mode 'chunked' (default): Content-Length is
   * dropped and the body is sent chunked, so the client reads a complete, well-formed response that is
   * longer than the object or the Content-Range says. mode 'after-content-length': Content-Length stays
   * and the extra bytes follow it on the socket, then the connection closes; an HTTP client reads exactly
   * Content-Length bytes and at most notices garbage on the connection after the response.
   */
  | { kind: 'extra-body'; bytes: number; mode?: 'chunked' | 'after-content-length' }
  /** The byte at this offset of this response body is flipped (XOR 0xff). */
  | { kind: 'corrupt'; atByte: number }
  /** The ETag response header is replaced (as if the object had changed); If-Match is checked against it. */
  | { kind: 'etag'; etag: string }
  /** These response headers are set (replacing any of the same name). */
  | { kind: 'headers'; headers: Record<string, string> }
  /** Waits this long before doing anything else with the request. */
  | { kind: 'delay'; ms: number }
  /**
   * The response body is sent at most this fast, per request (as a long link caps each connection
   * to a real store), so parallel connections add up where one alone cannot.
   */
  | { kind: 'throttle'; bytesPerSecond: number }

/**
 * Every rule whose match fits a request applies to it (so 'etag' + 'headers' + a body fault combine); a
 * request uses up one of `times` of each rule it matches, whether or not the fault could act on that
 * response (wrong-content-range on a 200, a body fault on a HEAD). 'status' answers without upstream; of
 * the body cuts (reset-after, stall-after, truncate-body) the first applies, and extra-body only without
 * a cut; corrupt combines with any. A cut at or beyond the body's length happens after the whole body.
 */
export interface FaultRule {
  match?: FaultMatch
  /** How many matching requests the rule applies to; default: all of them. */
  times?: number
  /**
   * The share of matching requests it applies to, drawn at random per request (0.02: resets of 2%
   * of the connections); default 1. A request it skips does not use up one of `times`.
   */
  probability?: number
  fault: Fault
}

export interface ProxyRequestRecord {
  method: string
  /** Path without the query string, as received (percent-encoded). */
  path: string
  /** Query string without '?', '' when none. */
  query: string
  range?: string
  ifMatch?: string
  /** Sent through the AWS SDK (it carries the SDK's invocation id), not signed by us directly. */
  viaSdk: boolean
  /** Status sent to the client; 0 until the response head is sent (or if it never was). */
  status: number
  /**
   * Body bytes written to the client connection: bytes cut, stalled or never sent are not counted; extra
   * bytes and error bodies (injected or upstream XML) are. Filter on status for object bytes only.
   */
  bytesSent: number
  /** Kinds of the rules that applied to this request, in rule order. */
  faults: Fault['kind'][]
  /** True once the proxy is done with the request (response ended, cut, or the client went away). */
  done: boolean
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  url: string
  /** The request log, in arrival order. The same array for the proxy's life (resetLog empties it). */
  readonly requests: ProxyRequestRecord[]
  setRules(rules: FaultRule[]): void
  addRule(rule: FaultRule): void
  clearRules(): void
  resetLog(): void
  /** Sum of bytesSent over the log, or over the records `filter` accepts. */
  totalBodyBytes(filter?: (record: ProxyRequestRecord) => boolean): number
  /** See the module comment; can be switched at any time. */
  enforceIfMatch: boolean
  /** Stops listening and destroys every open connection, stalled ones included. */
  close(): Promise<void>
}

interface ActiveRule {
  rule: FaultRule
  remaining: number
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade'])

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

function s3ErrorXml(code: string, message: string, extra = ''): string {
  const requestId = randomBytes(8).toString('hex').toUpperCase()
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId></Error>`
  )
}

function rangeStart(range: string | undefined): number | undefined {
  const m = range === undefined ? null : /^bytes=(\d+)-/.exec(range.trim())
  return m?.[1] === undefined ? undefined : Number(m[1])
}

function matches(match: FaultMatch | undefined, req: IncomingMessage, path: string): boolean {
  if (!match) return true
  if (match.method !== undefined && match.method.toUpperCase() !== req.method?.toUpperCase()) return false
  if (match.keyIncludes !== undefined) {
    let decoded = path
    try {
      decoded = decodeURIComponent(path)
    } catch {
      // keep the raw path
    }
    if (!path.includes(match.keyIncludes) && !decoded.includes(match.keyIncludes)) return false
  }
  if (match.queryIncludes !== undefined) {
    const q = req.url?.indexOf('?') ?? -1
    if (q === -1 || !req.url!.slice(q + 1).includes(match.queryIncludes)) return false
  }
  const range = req.headers.range
  if (match.hasRange !== undefined && match.hasRange !== (range !== undefined)) return false
  if (match.rangeStartAtLeast !== undefined) {
    const start = rangeStart(range)
    if (start === undefined || start < match.rangeStartAtLeast) return false
  }
  return true
}

function normalizeEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1')
}

/** If-Match holds when any listed ETag equals the current one (quotes and W/ ignored), or it is '*'. */
function ifMatchHolds(ifMatch: string, etag: string | undefined): boolean {
  const wanted = ifMatch.split(',').map((e) => e.trim())
  if (wanted.includes('*')) return true
  if (etag === undefined) return false
  const current = normalizeEtag(etag)
  return wanted.some((e) => normalizeEtag(e) === current)
}

type HeaderPairs = [string, string][]

function pairsFromRaw(raw: string[]): HeaderPairs {
  const pairs: HeaderPairs = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? ''])
  return pairs
}

function getHeader(pairs: HeaderPairs, name: string): string | undefined {
  const lower = name.toLowerCase()
  return pairs.find(([k]) => k.toLowerCase() === lower)?.[1]
}

function setHeader(pairs: HeaderPairs, name: string, value: string): HeaderPairs {
  const lower = name.toLowerCase()
  return [...pairs.filter(([k]) => k.toLowerCase() !== lower), [name, value]]
}

function removeHeader(pairs: HeaderPairs, name: string): HeaderPairs {
  const lower = name.toLowerCase()
  return pairs.filter(([k]) => k.toLowerCase() !== lower)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once everything written to the socket has been handed to the kernel (or the socket is gone). */
async function flushed(socket: Socket): Promise<void> {
  while (!socket.destroyed && socket.writableLength > 0) await sleep(2)
}

export async function startFaultProxy(
  upstream: string,
  options: { enforceIfMatch?: boolean } = {},
): Promise<FaultProxy> {
  const target = new URL(upstream)
  if (target.protocol !== 'http:') throw new Error(`fault proxy: only http upstreams, got ${upstream}`)
  const upstreamHost = target.hostname
  const upstreamPort = Number(target.port || 80)
  const agent = new Agent({ keepAlive: true })
  const sockets = new Set<Socket>()
  const requests: ProxyRequestRecord[] = []
  let rules: ActiveRule[] = []

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendError(res, req, 502, 'BadGateway', `fault proxy: ${String(err)}`)
      } else {
        res.destroy()
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // Keep idle client connections around long enough for SDK keep-alive reuse, but never hold close().
  server.keepAliveTimeout = 5_000

  function sendError(
    res: ServerResponse,
    req: IncomingMessage,
    status: number,
    code: string,
    message: string,
    extraXml = '',
    record?: ProxyRequestRecord,
  ): void {
    const body = req.method === 'HEAD' ? '' : s3ErrorXml(code, message, extraXml)
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/xml',
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
    }
    if (req.method !== 'HEAD') headers['Content-Length'] = Buffer.byteLength(body)
    res.writeHead(status, headers)
    if (record) {
      record.status = status
      record.bytesSent = Buffer.byteLength(body)
    }
    res.end(body)
  }

  function takeRules(req: IncomingMessage, path: string): Fault[] {
    const applied: Fault[] = []
    for (const active of rules) {
      if (active.remaining <= 0) continue
      if (!matches(active.rule.match, req, path)) continue
      if (active.rule.probability !== undefined && Math.random() >= active.rule.probability) continue
      active.remaining--
      applied.push(active.rule.fault)
    }
    return applied
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const record: ProxyRequestRecord = {
      method: req.method ?? 'GET',
      path,
      query: q === -1 ? '' : url.slice(q + 1),
      status: 0,
      bytesSent: 0,
      faults: [],
      done: false,
      viaSdk: req.headers['amz-sdk-invocation-id'] !== undefined,
    }
    if (req.headers.range !== undefined) record.range = req.headers.range
    const ifMatch = req.headers['if-match']
    if (ifMatch !== undefined) record.ifMatch = ifMatch
    requests.push(record)
    res.once('close', () => {
      record.done = true
    })

    const faults = takeRules(req, path)
    record.faults = faults.map((f) => f.kind)
    const first = <K extends Fault['kind']>(kind: K): Extract<Fault, { kind: K }> | undefined =>
      faults.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind)

    for (const f of faults) if (f.kind === 'delay') await sleep(f.ms)
    if (res.destroyed) {
      req.resume()
      return
    }

    const status = first('status')
    if (status) {
      req.resume()
      const message = status.message ?? `Injected ${status.status} ${status.code}`
      sendError(res, req, status.status, status.code, message, '', record)
      return
    }

    const ureq = httpRequest({
      host: upstreamHost,
      port: upstreamPort,
      method: req.method,
      path: url,
      // The raw array keeps every header as sent, Host included (Node adds no Host of its own).
      headers: req.rawHeaders,
      agent,
    })
    res.once('close', () => {
      if (!res.writableFinished) ureq.destroy()
    })
    req.pipe(ureq)

    const ures = await new Promise<IncomingMessage>((resolve, reject) => {
      ureq.once('response', resolve)
      ureq.once('error', reject)
    })
    ureq.on('error', () => res.destroy())
    if (res.destroyed) {
      ures.destroy()
      return
    }

    const upstreamStatus = ures.statusCode ?? 502
    let headers = pairsFromRaw(ures.rawHeaders).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()))
    const isHead = req.method === 'HEAD'
    const ok = upstreamStatus >= 200 && upstreamStatus < 300

    const etagRule = first('etag')
    if (etagRule && (ok || upstreamStatus === 304)) headers = setHeader(headers, 'ETag', etagRule.etag)

    if (
      proxy.enforceIfMatch &&
      ifMatch !== undefined &&
      (req.method === 'GET' || isHead) &&
      ok &&
      !ifMatchHolds(ifMatch, getHeader(headers, 'etag'))
    ) {
      ures.destroy()
      sendError(
        res,
        req,
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        '<Condition>If-Match</Condition>',
        record,
      )
      return
    }

    for (const f of faults) {
      if (f.kind === 'headers')
        for (const [k, v] of Object.entries(f.headers)) headers = setHeader(headers, k, v)
    }

    const shift = first('wrong-content-range')
    if (shift && upstreamStatus === 206) {
      const cr = getHeader(headers, 'content-range')
      const m = cr === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim())
      if (m) {
        const start = Number(m[1]) + shift.shiftBy
        const end = Number(m[2]) + shift.shiftBy
        headers = setHeader(headers, 'Content-Range', `bytes ${start}-${end}/${m[3] ?? '*'}`)
      }
    }

    // Body faults: at most one "cut" (reset, stall, truncate), or extra bytes; corrupt combines with any.
    const cut = faults.find(
      (f): f is Extract<Fault, { kind: 'reset-after' | 'stall-after' | 'truncate-body' }> =>
        f.kind === 'reset-after' || f.kind === 'stall-after' || f.kind === 'truncate-body',
    )
    const extra = cut ? undefined : first('extra-body')
    const corrupt = faults.filter((f): f is Extract<Fault, { kind: 'corrupt' }> => f.kind === 'corrupt')
    const extraMode = extra?.mode ?? 'chunked'
    if (extra && !isHead && extraMode === 'chunked') headers = removeHeader(headers, 'content-length')

    res.writeHead(upstreamStatus, ures.statusMessage, headers.flat())
    record.status = upstreamStatus

    if (isHead || upstreamStatus === 204 || upstreamStatus === 304) {
      ures.resume()
      ures.once('end', () => res.end())
      return
    }

    const socket = res.socket
    const limit = cut ? Math.max(0, cut.bytes) : Infinity
    let offsetIn = 0
    let cutDone = false

    const doCut = async (): Promise<void> => {
      if (cutDone || !cut) return
      cutDone = true
      ures.destroy()
      if (!socket) return
      if (cut.kind === 'stall-after') return // silence; close() or the client ends it
      // Make sure the allowed bytes reached the kernel before the connection is cut.
      await flushed(socket)
      if (cut.kind === 'reset-after') socket.resetAndDestroy()
      else socket.end()
    }

    if (limit === 0) {
      res.flushHeaders()
      await doCut()
      return
    }

    const throttle = first('throttle')
    const bodyStarted = performance.now()
    ures.on('data', (input: Buffer) => {
      let chunk = input
      for (const c of corrupt) {
        if (c.atByte >= offsetIn && c.atByte < offsetIn + chunk.length) {
          if (chunk === input) chunk = Buffer.from(input)
          const i = c.atByte - offsetIn
          chunk[i] = (chunk[i] ?? 0) ^ 0xff
        }
      }
      offsetIn += input.length
      if (cutDone || res.destroyed) return
      if (record.bytesSent + chunk.length > limit) chunk = chunk.subarray(0, limit - record.bytesSent)
      record.bytesSent += chunk.length
      const more = res.write(chunk)
      if (record.bytesSent >= limit) {
        void doCut()
        return
      }
      // Paused until the body is back on schedule (and the socket drained, when it has to).
      const behind = throttle
        ? (record.bytesSent / throttle.bytesPerSecond) * 1000 - (performance.now() - bodyStarted)
        : 0
      if (!more || behind > 1) {
        ures.pause()
        let waits = (more ? 0 : 1) + (behind > 1 ? 1 : 0)
        const resume = (): void => {
          if (--waits === 0 && !res.destroyed) ures.resume()
        }
        if (!more) res.once('drain', resume)
        if (behind > 1) setTimeout(resume, behind)
      }
    })
    ures.once('end', () => {
      if (cutDone || res.destroyed) return
      if (cut) {
        // The body was shorter than the cut point: apply the cut at the end of what there was.
        void doCut()
        return
      }
      if (extra && extra.bytes > 0) {
        const junk = Buffer.alloc(extra.bytes, 'Z')
        if (extraMode === 'chunked') {
          record.bytesSent += junk.length
          res.end(junk)
        } else {
          res.end()
          if (socket) {
            res.once('finish', () => {
              record.bytesSent += junk.length
              socket.end(junk)
            })
          }
        }
        return
      }
      res.end()
    })
    ures.once('error', () => res.destroy())
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address')

  let closing: Promise<void> | undefined
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    enforceIfMatch: options.enforceIfMatch ?? true,
    setRules(next) {
      rules = next.map((rule) => ({ rule, remaining: rule.times ?? Infinity }))
    },
    addRule(rule) {
      rules.push({ rule, remaining: rule.times ?? Infinity })
    },
    clearRules() {
      rules = []
    },
    resetLog() {
      requests.length = 0
    },
    totalBodyBytes(filter) {
      return requests.filter((r) => !filter || filter(r)).reduce((sum, r) => sum + r.bytesSent, 0)
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
        agent.destroy()
      })
      return closing
    },
  }
  return proxy
}
