import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { type Agent, request as httpsRequest } from 'node:https'
import { TransferError } from '../errors'
import { refusedRedirect } from './address-policy'
import { guardedLookup } from './guarded-lookup'

/** Hugging Face answers one redirect (to its CDN); a few more allow for mirrors. */
export const MAX_REDIRECTS = 5

export interface RequestOptions {
  method: 'GET' | 'HEAD'
  headers?: OutgoingHttpHeaders
  /** Sent only to this origin (`https://host:port`), never to a host a redirect leads to. */
  auth?: { origin: string; authorization: string }
  /** Redirects may lead to private or loopback addresses (the first URL was on one itself). */
  allowPrivate: boolean
  agent: Agent
  /** Until the answer's headers arrive. */
  timeoutMs: number
  signal: AbortSignal
}

export interface Answer {
  response: IncomingMessage
  /** The URL that answered (after redirects). */
  url: URL
  /** Headers of the redirects on the way, first first (Hugging Face puts X-Linked-* on its 302). */
  hops: IncomingHttpHeaders[]
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * One request that follows up to MAX_REDIRECTS redirects, each checked by refusedRedirect and, for
 * host names, again when resolved (guardedLookup). The final answer's body is the caller's to read
 * or destroy; redirect bodies are discarded.
 */
export async function requestFollowing(start: URL, options: RequestOptions): Promise<Answer> {
  const hops: IncomingHttpHeaders[] = []
  let url = start
  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(url, options, redirects > 0)
    const location = response.headers.location
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined) return { response, url, hops }
    response.resume()
    hops.push(response.headers)
    if (redirects >= MAX_REDIRECTS) {
      throw new TransferError('server_error', `More than ${MAX_REDIRECTS} redirects`, false)
    }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      throw new TransferError('server_error', 'The server redirected to an invalid URL', false)
    }
    const refused = refusedRedirect(next, options.allowPrivate)
    if (refused) throw new TransferError('unsafe_redirect', `Refused ${refused}`)
    url = next
  }
}

function requestOnce(url: URL, options: RequestOptions, redirected: boolean): Promise<IncomingMessage> {
  const headers: OutgoingHttpHeaders = { 'user-agent': 'modeldl', ...options.headers }
  if (options.auth && url.origin === options.auth.origin)
    headers['authorization'] = options.auth.authorization
  const lookup = redirected ? guardedLookup(options.allowPrivate) : undefined
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: options.method,
      headers,
      agent: options.agent,
      signal: options.signal,
      ...(lookup ? { lookup } : {}),
    })
    req.setTimeout(options.timeoutMs, () => {
      const err = new Error(`No answer within ${options.timeoutMs / 1000} s`)
      err.name = 'TimeoutError'
      req.destroy(err)
    })
    req.once('response', (res) => {
      req.setTimeout(0)
      resolve(res)
    })
    req.once('error', reject)
    req.end()
  })
}
