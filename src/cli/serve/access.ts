// Who may talk to `modeldl serve`: whoever holds the token printed at start (as `?token=` once, then
// as an HttpOnly cookie), from this server's own origin, through a host name that points here.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Loopback names and addresses: the only ones served without --allow-remote. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}

/** `host` as it goes into a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

export type Refusal = { status: 401 | 403; message: string }

export interface AccessPolicy {
  token: string
  /** The port the server listens on: the cookie is named for it (cookies ignore ports). */
  port: number
  /** The --host value, accepted in Host headers besides the loopback names. */
  host: string
  /** --allow-remote: any Host header (the machine may be reached by any of its names). */
  allowRemote: boolean
}

export function cookieName(port: number): string {
  return `modeldl_token_${port}`
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  return out
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token a request carries (query first, then the cookie), and where it came from. */
export function presentedToken(
  req: IncomingMessage,
  url: URL,
  policy: AccessPolicy,
): { token: string; from: 'query' | 'cookie' } | null {
  const fromQuery = url.searchParams.get('token')
  if (fromQuery !== null) return { token: fromQuery, from: 'query' }
  const fromCookie = cookies(req).get(cookieName(policy.port))
  return fromCookie === undefined ? null : { token: fromCookie, from: 'cookie' }
}

/**
 * Why a request is refused, or null. The Host check stops DNS rebinding (a page on evil.example whose
 * name now points at 127.0.0.1); the Origin check stops another site's page from opening our WebSocket
 * or posting with the user's cookie; the token stops everyone else on the machine.
 * `checkOrigin`: WebSocket upgrades and requests that change something. A request without Origin is
 * not from a browser's cross-site page (browsers always send it there) and still needs the token.
 */
export function refusal(
  req: IncomingMessage,
  url: URL,
  policy: AccessPolicy,
  checkOrigin: boolean,
): Refusal | null {
  const host = req.headers.host ?? ''
  const hostname = host.replace(/:\d+$/, '')
  if (!policy.allowRemote && !isLoopbackHost(hostname) && hostname !== urlHost(policy.host)) {
    return { status: 403, message: `Host "${host}" is not this server: open the address modeldl printed` }
  }
  const origin = req.headers.origin
  if (checkOrigin && origin !== undefined && origin !== `http://${host}`) {
    return { status: 403, message: `Requests from ${origin} are not allowed` }
  }
  const given = presentedToken(req, url, policy)
  if (!given) {
    return { status: 401, message: 'A token is needed: open the UI address that modeldl serve printed' }
  }
  if (!sameSecret(given.token, policy.token)) {
    return { status: 403, message: 'Wrong token: open the UI address that modeldl serve printed last' }
  }
  return null
}

export function tokenCookie(policy: AccessPolicy): string {
  return `${cookieName(policy.port)}=${policy.token}; HttpOnly; SameSite=Strict; Path=/`
}
