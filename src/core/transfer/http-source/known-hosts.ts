import { TransferError } from '../errors'

type Env = Record<string, string | undefined>

export type HostKind = 'huggingface' | 'civitai' | 'other'

/** Where a URL is really fetched from, and what credential goes with it (to that host only). */
export interface RoutedUrl {
  kind: HostKind
  /** The URL to request: the original, or the same path under HF_ENDPOINT / CIVITAI_BASE_URL. */
  url: URL
  /** `Bearer …` for requests to `url`'s own host; never sent to a host a redirect leads to. */
  authorization?: string
  /** The base the CivitAI API is asked at (for the file's sha256). */
  apiBase?: URL
}

const HF_HOSTS = new Set(['huggingface.co', 'hf.co'])
const CIVITAI_HOSTS = new Set(['civitai.com', 'www.civitai.com'])

/**
 * Maps a download URL to where it is fetched: `https://huggingface.co/…` from HF_ENDPOINT when set
 * (mirrors, tests), `https://civitai.com/…` from CIVITAI_BASE_URL; HF_TOKEN and CIVITAI_API_TOKEN go
 * with the requests to those hosts. Only https: `file:`, `http:` and the rest are refused.
 */
export function routeUrl(raw: string, env: Env): RoutedUrl {
  const url = parseHttps(raw, 'The URL')
  const hfBase = baseFrom(env['HF_ENDPOINT'], 'HF_ENDPOINT')
  const civitaiBase = baseFrom(env['CIVITAI_BASE_URL'], 'CIVITAI_BASE_URL')
  if (HF_HOSTS.has(url.hostname) || (hfBase && sameOrigin(url, hfBase))) {
    const target = hfBase ? rebase(url, hfBase) : url
    return { kind: 'huggingface', url: target, ...bearer(env['HF_TOKEN']) }
  }
  if (CIVITAI_HOSTS.has(url.hostname) || (civitaiBase && sameOrigin(url, civitaiBase))) {
    const target = civitaiBase ? rebase(url, civitaiBase) : url
    const apiBase = civitaiBase ?? new URL('https://civitai.com/')
    return { kind: 'civitai', url: target, apiBase, ...bearer(env['CIVITAI_API_TOKEN']) }
  }
  return { kind: 'other', url }
}

function bearer(token: string | undefined): { authorization?: string } {
  return token ? { authorization: `Bearer ${token.trim()}` } : {}
}

function parseHttps(raw: string, what: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TransferError('invalid_job', `${what} is not a valid URL`)
  }
  if (url.protocol !== 'https:') {
    throw new TransferError(
      'invalid_job',
      `${what} uses ${url.protocol.replace(/:$/, '')}:, but only https URLs are downloaded`,
    )
  }
  return url
}

function baseFrom(value: string | undefined, name: string): URL | undefined {
  if (!value) return undefined
  return parseHttps(value, name)
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin
}

/** The URL's path and query under the base (which may have a path of its own, e.g. a mirror's prefix). */
function rebase(url: URL, base: URL): URL {
  if (sameOrigin(url, base)) return url
  const prefix = base.pathname.replace(/\/+$/, '')
  const out = new URL(base.href)
  out.pathname = `${prefix}${url.pathname}`
  out.search = url.search
  return out
}
