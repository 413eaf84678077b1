// What a window may ask the service to fetch from, and where a URL model may land. A window is a page
// in a browser (`modeldl serve --ui`) or the desktop app's renderer; either way the service does the
// fetching, from its own machine and network. A URL at a private address would let a window (or a
// workflow someone shared) make the service probe that network: refused unless the operator allows it.
import { ApiError } from '../../shared/api-contract'
import { isPrivateHost } from '../transfer/http-source/address-policy'
import { printableUrl } from '../url/printable-url'

type Env = Record<string, string | undefined>

/** Set to 1 where the service runs to let windows fetch from private addresses (a mirror on the LAN). */
export const ALLOW_PRIVATE_URLS_ENV = 'MODELDL_ALLOW_PRIVATE_URLS'

/** Why a window may not have this URL fetched, in the user's words; null when it may. */
export function windowUrlProblem(raw: string, env: Env): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return "This is not a URL: give the model file's https:// address (e.g. https://huggingface.co/org/repo/resolve/main/model.safetensors)"
  }
  if (url.protocol !== 'https:') {
    return `Only https URLs are downloaded; ${printableUrl(raw)} uses ${url.protocol.replace(/:$/, '')}:`
  }
  if (isPrivateHost(url.hostname) && env[ALLOW_PRIVATE_URLS_ENV] !== '1') {
    return (
      `${url.hostname} is a private address (this machine or its local network): the window does not ` +
      `fetch from there. To allow a mirror on your network, start the service with ${ALLOW_PRIVATE_URLS_ENV}=1.`
    )
  }
  return null
}

/** The same, as the refusal a handler throws. */
export function checkWindowUrl(raw: string, env: Env, field = ''): void {
  const problem = windowUrlProblem(raw, env)
  if (problem) throw new ApiError('forbidden', `${field}${problem}`)
}

/**
 * A folder under the models root as a window names it (`loras`, `sdxl/loras`), '/'-separated and
 * tidied; never absolute, never `..`. The gate checks the final path again (links included).
 */
export function relativeModelFolder(raw: string): string {
  const folder = raw.trim().replace(/\/+$/, '')
  const refuse = (why: string): never => {
    throw new ApiError('bad_request', `Folder "${raw}": ${why}`)
  }
  if (folder === '') refuse('name a folder under the models root, e.g. checkpoints or loras')
  if (folder.startsWith('/') || /^[A-Za-z]:/.test(folder) || folder.startsWith('\\'))
    refuse('must be a folder under the models root (e.g. loras), not an absolute path')
  if (folder.includes('\\')) refuse('use / between folders (e.g. sdxl/loras)')
  if (folder.includes('\0')) refuse('must not contain a NUL byte')
  const parts = folder.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) refuse('must stay under the models root (no ..)')
  return parts.join('/')
}
