import type { Agent } from 'node:https'
import { isPrivateHost } from './address-policy'
import { requestFollowing } from './redirecting-request'
import type { RoutedUrl } from './known-hosts'

/** The API's answer for one model version is a few KiB; anything far larger is not it. */
const MAX_API_BYTES = 1024 * 1024

interface VersionFile {
  name?: unknown
  primary?: unknown
  hashes?: { SHA256?: unknown }
}

/**
 * The SHA256 CivitAI's API publishes for the file a download URL names
 * (`/api/download/models/<versionId>` → `/api/v1/model-versions/<versionId>`), matched by file name,
 * else its primary file. Null when the URL is not of that form or the API cannot be reached: the
 * download then goes on, verified by its size.
 */
export async function civitaiSha256(
  routed: RoutedUrl,
  fileName: string | null,
  options: { agent: Agent; timeoutMs: number; signal: AbortSignal },
): Promise<string | null> {
  const version = /\/api\/download\/models\/(\d+)/.exec(routed.url.pathname)?.[1]
  if (!version || !routed.apiBase) return null
  const api = new URL(`api/v1/model-versions/${version}`, routed.apiBase.href.replace(/\/?$/, '/'))
  const { response } = await requestFollowing(api, {
    method: 'GET',
    headers: { accept: 'application/json' },
    ...(routed.authorization ? { auth: { origin: api.origin, authorization: routed.authorization } } : {}),
    allowPrivate: isPrivateHost(api.hostname),
    ...options,
  })
  if (response.statusCode !== 200) {
    response.resume()
    return null
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response) {
    size += (chunk as Buffer).length
    if (size > MAX_API_BYTES) {
      response.destroy()
      return null
    }
    chunks.push(chunk as Buffer)
  }
  const files = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { files?: VersionFile[] }).files ?? []
  const file =
    files.find((f) => fileName !== null && f.name === fileName) ?? files.find((f) => f.primary === true)
  const sha = file?.hashes?.SHA256
  return typeof sha === 'string' && /^[0-9a-f]{64}$/i.test(sha) ? sha.toLowerCase() : null
}
