// `modeldl serve`, through the real built CLI, against requests no browser of ours sends: request
// targets that are not a path, a garbage request line, invalid and oversized WebSocket frames, a flood
// of invokes. Each is answered (400, or a close code that says why) and serve goes on serving: after
// each, the process still runs, answers an authenticated invoke, and has logged no unexpected error
// (the last guard in serve.ts would keep it alive, but a request must never need it).
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { MAX_WS_FRAME_BYTES, WS_INVOKE_BURST } from '../../src/shared/limits'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'
import { startServe, type ServeProcess } from '../support/serve-process'

let s3: TestS3Server
let work: string
let serve: ChildProcess
let served: ServeProcess | undefined
let port = 0
let token = ''
let stderr = ''

const cookie = (): string => `modeldl_token_${port}=${token}`
const origin = (): string => `http://127.0.0.1:${port}`

/** Writes `bytes` on a fresh TCP connection and collects what comes back until the server closes it. */
function rawExchange(bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer within ${timeoutMs} ms; got: ${JSON.stringify(received)}`))
    }, timeoutMs)
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
    socket.write(bytes)
  })
}

/** Status code and body of a raw HTTP answer. */
function parsed(answer: string): { status: number; body: string } {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(answer)
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4)
  return { status: m ? Number(m[1]) : 0, body }
}

function upgradeHeaders(): string {
  return (
    `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
    `Cookie: ${cookie()}\r\nOrigin: ${origin()}\r\n\r\n`
  )
}

/**
 * An authenticated WebSocket over a bare TCP socket, so a test can send frames no client library
 * would. Resolves once the server has answered 101.
 */
function rawWebSocket(): Promise<{ socket: Socket; closeCode: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let buffer = Buffer.alloc(0)
    let upgraded = false
    let onClose: (code: number | null) => void = () => {}
    const closeCode = new Promise<number | null>((r) => (onClose = r))
    socket.on('error', () => {})
    socket.on('close', () => onClose(null))
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d])
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffer.subarray(0, end).toString('latin1')
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head}`))
        upgraded = true
        buffer = buffer.subarray(end + 4)
        resolve({ socket, closeCode })
      }
      // The server's frames (unmasked): skip the greeting's events, report the close frame's code.
      for (;;) {
        if (buffer.length < 2) return
        const opcode = buffer[0]! & 0x0f
        let length = buffer[1]! & 0x7f
        let offset = 2
        if (length === 126) {
          if (buffer.length < 4) return
          length = buffer.readUInt16BE(2)
          offset = 4
        } else if (length === 127) {
          if (buffer.length < 10) return
          length = Number(buffer.readBigUInt64BE(2))
          offset = 10
        }
        if (buffer.length < offset + length) return
        const payload = buffer.subarray(offset, offset + length)
        buffer = buffer.subarray(offset + length)
        if (opcode === 0x8) onClose(payload.length >= 2 ? payload.readUInt16BE(0) : 1005)
      }
    })
    socket.write(`GET /api HTTP/1.1\r\n${upgradeHeaders()}`)
  })
}

/** A masked client frame header (FIN set) announcing `length` bytes, as RFC 6455 §5.2 lays it out. */
function frameHeader(opcode: number, length: number, mask: Buffer): Buffer {
  if (length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | length]), mask])
  if (length < 65536) {
    const h = Buffer.from([0x80 | opcode, 0x80 | 126, 0, 0])
    h.writeUInt16BE(length, 2)
    return Buffer.concat([h, mask])
  }
  const h = Buffer.alloc(10)
  h[0] = 0x80 | opcode
  h[1] = 0x80 | 127
  h.writeBigUInt64BE(BigInt(length), 2)
  return Buffer.concat([h, mask])
}

function maskedTextFrame(payload: Buffer): Buffer {
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))
  return Buffer.concat([frameHeader(0x1, payload.length, mask), masked])
}

function openSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, {
      headers: { Cookie: cookie(), Origin: origin() },
    })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** Sends invokes numbered from `firstId`, all at once, and collects the result frames of each. */
function invokeMany(
  ws: WebSocket,
  firstId: number,
  count: number,
  channel = 'app:info',
): Promise<Map<number, Record<string, unknown>>> {
  return new Promise((resolve) => {
    const results = new Map<number, Record<string, unknown>>()
    const onMessage = (data: WebSocket.RawData): void => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>
      const id = frame['id']
      if ('event' in frame || typeof id !== 'number' || id < firstId || id >= firstId + count) return
      results.set(id, frame)
      if (results.size === count) {
        ws.off('message', onMessage)
        resolve(results)
      }
    }
    ws.on('message', onMessage)
    for (let id = firstId; id < firstId + count; id++) ws.send(JSON.stringify({ id, method: channel }))
  })
}

/** serve has not exited, answers a normal authenticated invoke, and needed no last-resort guard. */
async function expectStillServing(): Promise<void> {
  expect(serve.exitCode, stderr).toBeNull()
  expect(serve.signalCode).toBeNull()
  const ws = await openSocket()
  try {
    const [info] = (await invokeMany(ws, 1, 1, 'app:info')).values()
    expect(info).toMatchObject({ id: 1, result: { ownerKind: 'serve' } })
    const [list] = (await invokeMany(ws, 2, 1, 'downloads:list')).values()
    expect(list).toHaveProperty('result')
    expect(list).not.toHaveProperty('error')
  } finally {
    ws.close()
  }
  expect(stderr).not.toContain('unexpected error')
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  work = await makeTempDir('modeldl-serve-hostile-')
  const env = {
    PATH: process.env['PATH'],
    HOME: work,
    ...s3.env,
    MODELDL_HOME: join(work, 'home'),
    NETWORK_VOLUME: join(work, 'volume'),
  }
  served = await startServe(env)
  serve = served.child
  served.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  port = served.port
  token = served.token
}, 60_000)

afterAll(async () => {
  await served?.stop()
  await s3?.close()
  await removeTempDir(work)
})

describe('modeldl serve: HTTP requests that are not what a browser of ours sends', () => {
  it('answers GET // (what <img src="http://127.0.0.1:PORT//"> on another site sends) and keeps serving', async () => {
    // Without the cookie, as another site's page would send it (SameSite=Strict): the token is asked for.
    const anonymous = parsed(
      await rawExchange(`GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    )
    expect(anonymous.status).toBe(401)
    expect(anonymous.body).toContain('A token is needed')
    // With the cookie: "//" is a path here, not another host, and no file of the window.
    const withCookie = parsed(
      await rawExchange(
        `GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`,
      ),
    )
    expect(withCookie.status).toBe(404)
    await expectStillServing()
  })

  it('trades ?token= for the cookie without redirecting to //another-host', async () => {
    const answer = await rawExchange(
      `GET //evil.example/?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    )
    expect(parsed(answer).status).toBe(303)
    expect(answer).toMatch(/\r\nLocation: \/evil\.example\/\r\n/)
    await expectStillServing()
  })

  it('answers an upgrade to // with 404, and keeps serving', async () => {
    const answer = parsed(await rawExchange(`GET // HTTP/1.1\r\n${upgradeHeaders()}`))
    expect(answer.status).toBe(404)
    expect(answer.body).toContain('the WebSocket is at /api')
    await expectStillServing()
  })

  it('refuses an absolute-form or "*" request target with 400 that says so, for requests and upgrades', async () => {
    const absolute = parsed(
      await rawExchange(
        `GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`,
      ),
    )
    expect(absolute.status).toBe(400)
    expect(absolute.body).toContain('a full URL as request target is for proxies')
    const asterisk = parsed(
      await rawExchange(`OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    )
    expect(asterisk.status).toBe(400)
    expect(asterisk.body).toContain('"*" is not a path here')
    const upgrade = parsed(
      await rawExchange(`GET http://127.0.0.1:${port}/api HTTP/1.1\r\n${upgradeHeaders()}`),
    )
    expect(upgrade.status).toBe(400)
    expect(upgrade.body).toContain('a full URL as request target is for proxies')
    await expectStillServing()
  })

  it('answers a garbage request line, odd bytes and an oversized request line with a status that names the problem', async () => {
    const garbage = parsed(await rawExchange('\x01\x02 garbage \xff\r\n\r\n'))
    expect(garbage.status).toBe(400)
    expect(garbage.body).toContain('Bad request: not a valid HTTP/1.1 request')
    // Raw bytes outside ASCII are refused by Node's parser; encoded junk, backslashes and a NUL reach ours.
    const rawBytes = parsed(
      await rawExchange(
        Buffer.concat([
          Buffer.from('GET /\xff\xfe HTTP/1.1\r\n', 'latin1'),
          Buffer.from(`Host: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
        ]),
      ),
    )
    expect(rawBytes.status).toBe(400)
    expect(rawBytes.body).toContain('Invalid char in url path')
    const encodedJunk = parsed(
      await rawExchange(
        `GET /%zz%ff%00\\\\evil.example HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`,
      ),
    )
    expect(encodedJunk.status).toBe(404)
    const long = parsed(
      await rawExchange(
        `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      ),
    )
    expect(long.status).toBe(431)
    expect(long.body).toContain('at most 16 KiB')
    await expectStillServing()
  })
})

describe('modeldl serve: WebSocket frames it cannot accept', () => {
  it('closes a connection that sends a text frame of invalid UTF-8 with 1007, and keeps serving', async () => {
    const { socket, closeCode } = await rawWebSocket()
    socket.write(maskedTextFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))
    expect(await closeCode).toBe(1007)
    socket.destroy()
    await expectStillServing()
  })

  it('closes a connection that announces a frame over MAX_WS_FRAME_BYTES with 1009 at once, and keeps serving', async () => {
    const { socket, closeCode } = await rawWebSocket()
    // Only the header: the length is refused as announced, before a byte of the payload is read.
    socket.write(frameHeader(0x1, MAX_WS_FRAME_BYTES + 1, randomBytes(4)))
    expect(await closeCode).toBe(1009)
    socket.destroy()
    await expectStillServing()
  })

  it('refuses invokes over the rate limit without running them, and closes a client that keeps flooding with 1008', async () => {
    const ws = await openSocket()
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    const first = [...(await invokeMany(ws, 1, WS_INVOKE_BURST + 100)).values()]
    const refused = first.filter((f) => 'error' in f)
    // A burst is served; of the rest, only what the refill allowed in the meantime (50 a second).
    expect(first.length - refused.length).toBeGreaterThanOrEqual(WS_INVOKE_BURST)
    expect(refused.length).toBeGreaterThan(50)
    expect(refused[0]).toEqual({
      id: expect.any(Number),
      error: {
        code: 'bad_request',
        message: 'Too many requests: at most 50 per second from one window; slow down',
      },
    })
    // Another window is not held back by this one.
    await expectStillServing()
    // Far past the limit: disconnected.
    for (let id = 10_000; id < 10_000 + 2 * WS_INVOKE_BURST; id++) {
      ws.send(JSON.stringify({ id, method: 'app:info' }))
    }
    expect(await closed).toBe(1008)
    await expectStillServing()
  })
})
