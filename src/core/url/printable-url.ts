import { REDACTED } from '../service/persist/redact'

// The one redactor of URLs: workflows, download jobs, records and logs print URLs through it. Query
// parameters that carry credentials in download links (CivitAI's `token`, presigned `X-Amz-*`
// signatures, generic `api_key`s) are shown masked.
const SECRET_PARAM = /token|key|sig|secret|auth|password|credential/i

/** A URL as it may be shown: credentials in its user info or query masked. */
export function printableUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/[?#].*$/s, '')
  }
  if (parsed.username) parsed.username = REDACTED
  if (parsed.password) parsed.password = REDACTED
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, REDACTED)
  }
  // URL encodes the brackets of the mask; shown as written, it reads as what it is.
  return parsed.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED)
}
