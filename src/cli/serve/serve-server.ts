// The HTTP side of `modeldl serve`: the built UI (with --ui) and the WebSocket at WS_PATH, behind the
// checks of access.ts, with the window's CSP and the usual hardening headers on every answer. No
// request ends the process: what cannot be parsed is answered 400, what fails unexpectedly 500, and
// both are handled here, per request, upgrade and connection.
import { realpath } from 'node:fs/promises'
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { MAX_WS_FRAME_BYTES } from '../../shared/limits'
import type { EventFrame } from '../../shared/ws-protocol'
import { WS_PATH } from '../../shared/ws-protocol'
import { refusal, tokenCookie, urlHost, type AccessPolicy } from './access'
import { parseRequestTarget, sameSiteLocation } from './request-target'
import { cspOfIndex, serveStatic } from './static-files'
import { bridgeWebSocket, type BridgedBackend } from './ws-bridge'

/** src/renderer/index.html's policy, for when no UI is served (and so no index.html to read it from). */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  // 'self' covers the page's own WebSocket (ws: on the same host and port, as CSP Level 3 has it).
  "connect-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'"

export interface ServeServerOptions {
  backend: BridgedBackend
  greeting: () => Promise<EventFrame[]>
  host: string
  /** 0: any free port. */
  port: number
  token: string
  allowRemote: boolean
  /** The built renderer (out/renderer); without it only the WebSocket is served. */
  uiDir?: string
  /**
   * A fault of ours met while answering (`where` says in what): the client got a 500 or was
   * disconnected, and serve goes on. Never called for a client's bad request. Default: stderr.
   */
  onError?: (err: unknown, where: string) => void
}

export interface ServeServer {
  port: number
  /** `http://HOST:PORT/?token=…` */
  url: string
  wsUrl: string
  close(): Promise<void>
}

export async function startServeServer(options: ServeServerOptions): Promise<ServeServer> {
  const uiRoot = options.uiDir ? await realpath(options.uiDir) : undefined
  const csp = (uiRoot && (await cspOfIndex(uiRoot))) || DEFAULT_CSP
  const securityHeaders = {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  }
  // Filled in once the port is known (port 0 picks one).
  const policy: AccessPolicy = {
    token: options.token,
    port: options.port,
    host: options.host,
    allowRemote: options.allowRemote,
  }

  const onError =
    options.onError ??
    ((err: unknown, where: string) => console.error(`modeldl serve: unexpected error in ${where}:`, err))

  const refuse = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`)
  }

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value)
    const target = parseRequestTarget(req.url)
    if (!target.ok) return refuse(res, 400, target.message)
    const url = target.url
    const reading = req.method === 'GET' || req.method === 'HEAD'
    const refused = refusal(req, url, policy, !reading)
    if (refused) return refuse(res, refused.status, refused.message)
    if (!reading) return refuse(res, 405, 'Only GET and HEAD: everything else goes over the WebSocket')
    if (url.searchParams.has('token')) {
      // Trade the token in the address for a cookie, and take it out of the address bar and history.
      res.writeHead(303, { 'Set-Cookie': tokenCookie(policy), Location: sameSiteLocation(url) }).end()
      return
    }
    if (url.pathname === WS_PATH) return refuse(res, 426, 'This address is the WebSocket')
    if (!uiRoot) return refuse(res, 404, 'No UI here: start modeldl serve with --ui')
    serveStatic(uiRoot, url.pathname, req, res).catch((err: unknown) => {
      onError(err, `GET ${url.pathname}`)
      if (!res.headersSent) refuse(res, 500, 'Could not read the file')
      else res.destroy()
    })
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handleRequest(req, res)
    } catch (err) {
      onError(err, 'an HTTP request')
      if (!res.headersSent) refuse(res, 500, 'Internal error: modeldl serve could not answer this request')
      else res.destroy()
    }
  }

  const server = createServer(onRequest)
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_FRAME_BYTES,
    perMessageDeflate: false,
  })
  wss.on('error', (err) => onError(err, 'the WebSocket server'))
  const stopBridge = bridgeWebSocket(wss, options.backend, options.greeting, onError)

  // What the HTTP parser could not read (a garbage request line, headers over Node's 16 KiB limit, a
  // request that took too long): answered with a status that says so, then the connection is closed.
  // Unless a response on this connection has begun already: a second one would corrupt it.
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy()
      return
    }
    const [status, message] = clientErrorAnswer(err)
    answerRaw(socket, status, message)
  })

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const target = parseRequestTarget(req.url)
    const refused = !target.ok
      ? { status: 400, message: target.message }
      : target.url.pathname === WS_PATH
        ? refusal(req, target.url, policy, true)
        : { status: 404, message: 'Not found: the WebSocket is at ' + WS_PATH }
    if (refused) return answerRaw(socket, refused.status, refused.message)
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over without its error listener: a reset while we answer must not become
    // an uncaught 'error' event. (ws adds its own once it has the socket.)
    socket.on('error', () => socket.destroy())
    try {
      handleUpgrade(req, socket, head)
    } catch (err) {
      onError(err, 'a WebSocket upgrade')
      answerRaw(socket, 500, 'Internal error: modeldl serve could not answer this request')
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // From here on, a fault of the listening socket (say, out of file descriptors) is reported, not fatal.
  server.on('error', (err) => onError(err, 'the HTTP server'))
  policy.port = (server.address() as AddressInfo).port
  const base = `${urlHost(options.host)}:${policy.port}`

  return {
    port: policy.port,
    url: `http://${base}/?token=${options.token}`,
    wsUrl: `ws://${base}${WS_PATH}?token=${options.token}`,
    async close() {
      stopBridge()
      for (const ws of wss.clients) ws.close(1001, 'The server is shutting down')
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      server.closeIdleConnections()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Clients that do not finish their closing handshake are not waited for.
        setTimeout(() => {
          for (const ws of wss.clients) ws.terminate()
          server.closeAllConnections()
        }, 1_000).unref()
      })
    },
  }
}

/** A complete HTTP answer on a raw socket (an upgrade refused, a request the parser rejected), then closes it. */
function answerRaw(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = `${message}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  )
  // A client that reads nothing must not keep the socket open.
  const timer = setTimeout(() => socket.destroy(), 5_000).unref()
  socket.once('close', () => clearTimeout(timer))
}

/** The status and message for a request Node's HTTP parser rejected. */
function clientErrorAnswer(err: NodeJS.ErrnoException & { reason?: string }): [number, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request header fields too large: the request line and headers may be at most 16 KiB']
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request timeout: the request did not arrive in time']
    default:
      return [400, `Bad request: not a valid HTTP/1.1 request (${err.reason ?? err.code ?? 'unreadable'})`]
  }
}
