// The HTTP side of `modeldl serve`: the built UI (with --ui) and the WebSocket at WS_PATH, behind the
// checks of access.ts, with the window's CSP and the usual hardening headers on every answer.
import { realpath } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { EventFrame } from '../../shared/ws-protocol'
import { WS_PATH } from '../../shared/ws-protocol'
import { refusal, tokenCookie, urlHost, type AccessPolicy } from './access'
import { cspOfIndex, serveStatic } from './static-files'
import { bridgeWebSocket, type BridgedBackend } from './ws-bridge'

/** src/renderer/index.html's policy, for when no UI is served (and so no index.html to read it from). */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  // 'self' covers the page's own WebSocket (ws: on the same host and port, as CSP Level 3 has it).
  "connect-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'"

/** config:load carries up to 64 MiB of JSON text, which JSON escaping can grow. */
const MAX_FRAME_BYTES = 160 * 1024 * 1024

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

  const refuse = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`)
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const reading = req.method === 'GET' || req.method === 'HEAD'
    const refused = refusal(req, url, policy, !reading)
    if (refused) return refuse(res, refused.status, refused.message)
    if (!reading) return refuse(res, 405, 'Only GET and HEAD: everything else goes over the WebSocket')
    if (url.searchParams.has('token')) {
      // Trade the token in the address for a cookie, and take it out of the address bar and history.
      res.writeHead(303, { 'Set-Cookie': tokenCookie(policy), Location: url.pathname || '/' }).end()
      return
    }
    if (url.pathname === WS_PATH) return refuse(res, 426, 'This address is the WebSocket')
    if (!uiRoot) return refuse(res, 404, 'No UI here: start modeldl serve with --ui')
    serveStatic(uiRoot, url.pathname, req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'Could not read the file')
      else res.destroy()
    })
  }

  const server = createServer(onRequest)
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  const stopBridge = bridgeWebSocket(wss, options.backend, options.greeting)

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const refused =
      url.pathname === WS_PATH ? refusal(req, url, policy, true) : { status: 404, message: 'Not found' }
    if (refused) {
      const body = `${refused.message}\n`
      const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[refused.status]
      socket.end(
        `HTTP/1.1 ${refused.status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
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
