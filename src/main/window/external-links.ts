/**
 * The only pages the app opens in the user's browser: its documentation and the stores' consoles a
 * message may point at. Anything else a link or window.open asks for is dropped: a compromised or
 * confused renderer must not be able to launch arbitrary URLs (or `file:`/custom schemes) through the OS.
 */
export const EXTERNAL_URL_ALLOW_LIST: readonly string[] = [
  'https://github.com/',
  'https://docs.aws.amazon.com/',
  'https://console.aws.amazon.com/',
  'https://min.io/docs/',
  'https://developers.cloudflare.com/r2/',
  'https://www.backblaze.com/docs/',
  'https://huggingface.co/',
]

/** https only, no credentials in the URL, and under one of the allowed prefixes. */
export function isAllowedExternalUrl(
  url: string,
  allowList: readonly string[] = EXTERNAL_URL_ALLOW_LIST,
): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) return false
  // Compare the normalised form: `https://github.com.evil.example/` must not pass as github.com.
  const normalised = parsed.href
  return allowList.some((prefix) => normalised.startsWith(new URL(prefix).href))
}
