// The engine's own HTTP/1.1 path for object bodies: the response parser on its own (every split of
// the bytes), and FastHttpHandler over ObjectWire against real servers (keep-alive, a stale kept-alive connection,
// aborts, errors, TLS, the body read as a plain stream).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FastHttpHandler } from '../../src/core/transfer/fast-http-handler'
import { ResponseParser, type ResponseHead } from '../../src/core/transfer/http1-response'
import { FastBody, ObjectWire } from '../../src/core/transfer/object-wire'
import { createS3Client } from '../../src/core/transfer/s3-client'
import { DEFAULT_TUNING } from '../../src/shared/transfer'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

interface Parsed {
  head: ResponseHead | null
  body: Buffer
  ended: boolean | null
  error: (Error & { code?: string }) | null
}

/** Feeds `raw` to a parser in pieces cut at `cuts`, then EOF if asked. */
function parse(raw: Buffer, cuts: number[] = [], { method = 'GET', eof = false } = {}): Parsed {
  const out: Parsed = { head: null, body: Buffer.alloc(0), ended: null, error: null }
  const bodies: Buffer[] = []
  const p = new ResponseParser(method, {
    head: (h) => (out.head = h),
    body: (piece) => bodies.push(Buffer.from(piece)),
    end: (reusable) => (out.ended = reusable),
    error: (err) => (out.error = err),
  })
  let at = 0
  for (const cut of [...cuts, raw.length]) {
    // The parser must not keep what it was given: the read buffer is reused.
    const piece = Buffer.from(raw.subarray(at, cut))
    p.feed(piece)
    piece.fill(0)
    at = cut
  }
  if (eof) p.eof()
  out.body = Buffer.concat(bodies)
  return out
}

const crlf = (lines: string[]): string => lines.join('\r\n')

describe('ResponseParser', () => {
  const body = randomBytes(300)
  const fixed = Buffer.concat([
    Buffer.from(
      crlf(['HTTP/1.1 206 Partial Content', 'Content-Length: 300', 'ETag: "x"', 'X-A: 1', 'x-a: 2', '', '']),
    ),
    body,
  ])

  it('reads a Content-Length body split at every byte, and leaves the connection reusable', () => {
    for (let cut = 0; cut <= fixed.length; cut++) {
      const r = parse(fixed, [cut])
      expect(r.error).toBeNull()
      expect(r.head?.statusCode).toBe(206)
      expect(r.head?.headers).toMatchObject({ 'content-length': '300', etag: '"x"', 'x-a': '1, 2' })
      expect(r.body.equals(body)).toBe(true)
      expect(r.ended).toBe(true)
    }
  })

  it('decodes chunked bodies with extensions and trailers, split anywhere', () => {
    const raw = Buffer.from(
      crlf([
        'HTTP/1.1 200 OK',
        'Transfer-Encoding: chunked',
        '',
        '5;name=value',
        'hello',
        'b',
        ', chunked w',
        '4',
        'orld',
        '0',
        'X-Trailer: yes',
        '',
        '',
      ]),
    )
    for (let a = 0; a < raw.length; a += 3) {
      const r = parse(raw, [a, Math.min(raw.length, a + 7)])
      expect(r.error).toBeNull()
      expect(r.body.toString()).toBe('hello, chunked world')
      expect(r.ended).toBe(true)
    }
  })

  it('skips 100 Continue and reads the answer after it', () => {
    const raw = Buffer.from(
      crlf(['HTTP/1.1 100 Continue', '', 'HTTP/1.1 200 OK', 'Content-Length: 2', '', 'ok']),
    )
    const r = parse(raw, [10, 30])
    expect(r.head?.statusCode).toBe(200)
    expect(r.body.toString()).toBe('ok')
  })

  it('keeps exactly Content-Length bytes and distrusts a connection with bytes after them', () => {
    const r = parse(Buffer.concat([fixed, Buffer.from('ZZZZ')]))
    expect(r.body.equals(body)).toBe(true)
    expect(r.ended).toBe(false)
  })

  it('knows when there is no body, and when the connection must close', () => {
    expect(
      parse(Buffer.from(crlf(['HTTP/1.1 200 OK', 'Content-Length: 99', '', ''])), [], { method: 'HEAD' })
        .ended,
    ).toBe(true)
    expect(parse(Buffer.from(crlf(['HTTP/1.1 204 No Content', '', '']))).ended).toBe(true)
    const close = parse(
      Buffer.from(crlf(['HTTP/1.1 200 OK', 'Connection: close', 'Content-Length: 2', '', 'ok'])),
    )
    expect(close.ended).toBe(false)
    const http10 = parse(Buffer.from(crlf(['HTTP/1.0 200 OK', 'Content-Length: 2', '', 'ok'])))
    expect(http10.ended).toBe(false)
    const untilClose = parse(Buffer.from(crlf(['HTTP/1.1 200 OK', '', 'all of it'])), [20], { eof: true })
    expect(untilClose.body.toString()).toBe('all of it')
    expect(untilClose.ended).toBe(false)
  })

  it('reports a body cut short, a connection closed before an answer, and garbage', () => {
    const short = parse(fixed.subarray(0, fixed.length - 10), [], { eof: true })
    expect(short.error?.code).toBe('ERR_STREAM_PREMATURE_CLOSE')
    expect(short.ended).toBeNull()
    expect(parse(Buffer.alloc(0), [], { eof: true }).error?.code).toBe('ECONNRESET')
    expect(parse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')).error?.message).toMatch(/Not an HTTP/)
    const badLength = parse(Buffer.from(crlf(['HTTP/1.1 200 OK', 'Content-Length: 1, 2', '', ''])))
    expect(badLength.error?.message).toMatch(/Invalid Content-Length/)
  })
})

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function request(port: number, path: string, protocol: 'http:' | 'https:' = 'http:') {
  return {
    protocol,
    hostname: '127.0.0.1',
    port,
    method: 'GET',
    path,
    query: { 'x-id': 'GetObject', 'a b': "it's" },
    headers: { host: `127.0.0.1:${port}`, 'x-test': '1' },
  } as unknown as Parameters<FastHttpHandler['handle']>[0]
}

async function readAll(body: unknown): Promise<Buffer> {
  const parts: Buffer[] = []
  if (body instanceof FastBody) await body.pipeTo((p) => void parts.push(Buffer.from(p)))
  else for await (const c of body as AsyncIterable<Buffer>) parts.push(c)
  return Buffer.concat(parts)
}

describe('FastHttpHandler', () => {
  const data = randomBytes(3 * 1024 * 1024 + 17)
  let server: Server
  let port: number
  let handler: Handler
  const sockets = new Set<Socket>()
  let connections = 0
  const make = (): FastHttpHandler =>
    new FastHttpHandler(
      new NodeHttpHandler(),
      new ObjectWire({ connectTimeoutMs: 2_000, socketTimeoutMs: 2_000 }),
    )

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res))
    server.on('connection', (s) => {
      connections++
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    port = await listen(server)
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  const serveData: Handler = (req, res) => {
    res.setHeader('Content-Length', data.length)
    res.setHeader('X-Query', req.url ?? '')
    res.setHeader('X-Test', String(req.headers['x-test']))
    res.end(data)
  }

  it("sends the SDK's path, query and headers, and streams the body exactly; the connection is kept", async () => {
    handler = serveData
    const h = make()
    connections = 0
    for (let i = 0; i < 3; i++) {
      const { response } = await h.handle(request(port, '/bucket/key%20x'), { fastBody: true })
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-query']).toBe('/bucket/key%20x?a%20b=it%27s&x-id=GetObject')
      expect(response.headers['x-test']).toBe('1')
      expect((await readAll(response.body)).equals(data)).toBe(true)
    }
    expect(connections).toBe(1)
    h.destroy()
  })

  it('is also a plain Readable', async () => {
    handler = serveData
    const h = make()
    const { response } = await h.handle(request(port, '/k'), { fastBody: true })
    const parts: Buffer[] = []
    for await (const c of response.body as AsyncIterable<Buffer>) parts.push(c)
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    h.destroy()
  })

  it('sends a GET again on a new connection when a kept-alive one turns out closed', async () => {
    // Every connection's second request is dropped unanswered, as by a server that closed it idle.
    const served = new WeakMap<Socket, number>()
    let requests = 0
    handler = (req, res) => {
      requests++
      const n = (served.get(req.socket) ?? 0) + 1
      served.set(req.socket, n)
      if (n > 1) return void req.socket.destroy()
      res.setHeader('Content-Length', 2)
      res.end('ok')
    }
    const h = make()
    connections = 0
    for (let i = 0; i < 3; i++) {
      const { response } = await h.handle(request(port, '/k'), { fastBody: true })
      expect((await readAll(response.body)).toString()).toBe('ok')
    }
    expect([connections, requests]).toEqual([3, 5])
    h.destroy()
  })

  it('hands error answers to the SDK whole, and aborts within the body', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/xml' })
        res.end('<Error><Code>NoSuchKey</Code></Error>')
        return
      }
      res.setHeader('Content-Length', data.length)
      res.write(data.subarray(0, 1024 * 1024))
      // and then nothing: the reader aborts
    }
    const h = make()
    const missing = await h.handle(request(port, '/missing'), { fastBody: true })
    expect(missing.response.statusCode).toBe(404)
    expect((await readAll(missing.response.body)).toString()).toContain('NoSuchKey')

    const controller = new AbortController()
    const { response } = await h.handle(request(port, '/slow'), {
      fastBody: true,
      abortSignal: controller.signal,
    })
    let got = 0
    const reading = (response.body as FastBody).pipeTo((p) => {
      got += p.length
      if (got >= 1024 * 1024) controller.abort('paused')
    })
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' })
    expect(got).toBe(1024 * 1024)
    h.destroy()
  })

  it('pauses reading while the reader is busy', async () => {
    handler = serveData
    const h = make()
    const { response } = await h.handle(request(port, '/k'), { fastBody: true })
    let inFlight = 0
    let maxInFlight = 0
    const parts: Buffer[] = []
    await (response.body as FastBody).pipeTo((p) => {
      parts.push(Buffer.from(p))
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      return new Promise((r) => setTimeout(r, 1)).then(() => inFlight--)
    })
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    // one read's pieces at a time (a chunked read can carry several), never the whole body
    expect(maxInFlight).toBeLessThan(4)
    h.destroy()
  })

  it('speaks TLS', async () => {
    const dir = await makeTempDir('modeldl-tls-')
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      )
      const cert = readFileSync(join(dir, 'cert.pem'))
      const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, serveData)
      const tlsPort = await listen(tls)
      const h = new FastHttpHandler(
        new NodeHttpHandler(),
        new ObjectWire({ connectTimeoutMs: 2_000, socketTimeoutMs: 2_000, ca: cert }),
      )
      const { response } = await h.handle(request(tlsPort, '/k', 'https:'), { fastBody: true })
      expect((await readAll(response.body)).equals(data)).toBe(true)
      h.destroy()
      tls.closeAllConnections()
      await new Promise((r) => tls.close(r))
    } finally {
      await removeTempDir(dir)
    }
  })
})

describe('GetObject through FastHttpHandler and the SDK', () => {
  let s3: TestS3Server
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
  })
  afterAll(async () => s3?.close())

  it('gives the body as a FastBody and S3 errors as the SDK maps them', async () => {
    const obj = await s3.putRandom('fast/a.bin', 2 * 1024 * 1024 + 3)
    const client = createS3Client(
      { endpoint: s3.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS },
      DEFAULT_TUNING,
      {},
    )
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: 'models', Key: 'fast/a.bin' }), {
        fastBody: true,
      } as object)
      expect(out.Body).toBeInstanceOf(FastBody)
      expect(out.ContentLength).toBe(obj.body.length)
      expect((await readAll(out.Body)).equals(obj.body)).toBe(true)
      const missing = client.send(new GetObjectCommand({ Bucket: 'models', Key: 'fast/none.bin' }), {
        fastBody: true,
      } as object)
      await expect(missing).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })
    } finally {
      client.destroy()
    }
  })
})
