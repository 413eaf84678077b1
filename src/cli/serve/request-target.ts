// The request-target of an HTTP request to `modeldl serve`, parsed without ever throwing: whatever a
// client or another site's page puts after the method (`//`, `http://evil/x`, `*`, odd bytes) gives a
// URL on this server or a message that names what is wrong, answered 400.

export type RequestTarget = { ok: true; url: URL } | { ok: false; message: string }

/** The one host every parsed URL has: only its path and query come from the request. */
const BASE = 'http://localhost'

/**
 * Accepts the origin-form only (RFC 9112 §3.2.1: a path starting with "/", then an optional query).
 * The absolute-form is what a client sends to a proxy, which this server is not; the asterisk- and
 * authority-forms are for OPTIONS and CONNECT. A path is appended to a fixed origin rather than
 * resolved against it, so `//evil.example` is the path "//evil.example" here, never another host.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (!target) return { ok: false, message: 'Bad request: no request target' }
  if (!target.startsWith('/')) {
    if (target === '*') {
      return { ok: false, message: 'Bad request: "*" is not a path here: ask for a path such as /' }
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      return {
        ok: false,
        message:
          'Bad request: a full URL as request target is for proxies, and this is not one: ask for a path such as /',
      }
    }
    return { ok: false, message: 'Bad request: the request target must be a path starting with "/"' }
  }
  let url: URL
  try {
    url = new URL(BASE + target)
  } catch {
    return { ok: false, message: 'Bad request: the request target is not a valid path' }
  }
  // Cannot happen for a target starting with "/" (the authority ends at it); checked all the same, as
  // the host is what the access checks take for granted.
  if (url.origin !== BASE)
    return { ok: false, message: 'Bad request: the request target is not a valid path' }
  return { ok: true, url }
}

/** Where `?token=` is traded for the cookie: the same path, never `//host` (another site, to a browser). */
export function sameSiteLocation(url: URL): string {
  return '/' + url.pathname.replace(/^[/\\]+/, '')
}
