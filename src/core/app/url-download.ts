// One model typed as a URL in the window (url:lookup, url:download): the folder confined to the models
// root, the URL to what a window may fetch (window-urls.ts), then the host asked for its name and size
// (core's look-up, as `modeldl download single URL` asks). Nothing is queued by a look-up.
import { join } from 'node:path'
import { ApiError, type ApiErrorCode } from '../../shared/api-contract'
import type { EnqueueRequest, EnqueueResult } from '../../shared/service-contract'
import type { AppSettings } from '../../shared/settings'
import type { UrlDownloadResult, UrlModelInfo, UrlModelRequest } from '../../shared/url-model'
import { ConfigError } from '../config'
import type { PathGate } from '../gate/path-gate'
import { printableUrl } from '../url/printable-url'
import { describeUrlModel, UrlLookupError } from '../url/url-lookup'
import { checkWindowUrl, relativeModelFolder } from './window-urls'

type Env = Record<string, string | undefined>

export interface UrlDownloadContext {
  settings: AppSettings
  env: Env
  /** Certificates for the look-up instead of Node's (see AppBackendDeps.httpCa). */
  ca?: string[]
  /** The models roots' gate, as for every path a window names. */
  gate: PathGate
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>
}

/** The host's answers as the window's error codes: a 404 is not_found, a host away is unavailable. */
const CODE_OF: Record<string, ApiErrorCode> = {
  not_found: 'not_found',
  access_denied: 'forbidden',
  unsafe_redirect: 'forbidden',
  network: 'unavailable',
  server_error: 'unavailable',
}

export async function lookUpUrl(request: UrlModelRequest, ctx: UrlDownloadContext): Promise<UrlModelInfo> {
  const { info } = await describe(request, ctx)
  return info
}

export async function downloadUrl(
  request: UrlModelRequest,
  ctx: UrlDownloadContext,
): Promise<UrlDownloadResult> {
  const { info, group } = await describe(request, ctx)
  const enqueued = await ctx.enqueue({
    entries: [
      { group, modelName: info.name, url: request.url, localPath: info.localPath, expectedSize: info.size },
    ],
  })
  return { ...info, enqueued }
}

async function describe(
  request: UrlModelRequest,
  ctx: UrlDownloadContext,
): Promise<{ info: UrlModelInfo; group: string }> {
  const folder = relativeModelFolder(request.folder)
  checkWindowUrl(request.url, ctx.env)
  const { modelsRoot } = ctx.settings
  const networkVolume = ctx.settings.networkVolume || ctx.env['NETWORK_VOLUME'] || ''
  let entry
  try {
    entry = await describeUrlModel(request.url, {
      dir: join(modelsRoot, folder),
      group: folder,
      env: ctx.env,
      config: { modelsRoots: [modelsRoot], ...(networkVolume ? { networkVolume } : {}) },
      ...(ctx.ca ? { ca: ctx.ca } : {}),
    })
  } catch (err) {
    if (err instanceof UrlLookupError) throw new ApiError(CODE_OF[err.code] ?? 'bad_request', err.message)
    if (err instanceof ConfigError) {
      const issues = err.issues.map((i) => i.message).join('; ')
      throw new ApiError('forbidden', `${printableUrl(request.url)} cannot be placed in ${folder}: ${issues}`)
    }
    throw err
  }
  // Links and folders on the way are the gate's to judge, as for any path a window names.
  const { path } = await ctx.gate.modelPath(entry.localPath, 'folder')
  return {
    info: {
      name: entry.modelName,
      size: entry.expectedSize,
      localPath: path,
      url: printableUrl(request.url),
    },
    group: folder,
  }
}
