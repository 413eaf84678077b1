import { basename, join, resolve } from 'node:path'
import { parseSingleModel, type ModelEntry } from '../core/config'
import { TransferError } from '../core/transfer/errors'
import { HttpSources } from '../core/transfer/http-source/http-sources'
import { printableUrl } from '../core/url/printable-url'
import type { EnqueueEntry } from '../shared/service-contract'
import { DEFAULT_TUNING } from '../shared/transfer'
import type { ResolvedWorkflowModel } from '../shared/workflow'
import type { CliContext } from './cli-settings'
import { UsageError } from './usage-error'

/** An argument that names a URL (any scheme: the source refuses what is not https, with a reason). */
export function isUrlArgument(arg: string | undefined): arg is string {
  return arg !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(arg)
}

/**
 * One model from a URL alone: its size and name (Content-Disposition, else the path's last segment)
 * looked up with a HEAD, the file placed in `folder` (default: the current folder), then checked like
 * any config entry (path safety, models roots). A sha256 the host publishes is not copied into the
 * entry: the worker reads it again and the record says it came from the server.
 */
export async function urlModel(
  url: string,
  folder: string | undefined,
  ctx: CliContext,
): Promise<ModelEntry> {
  const http = new HttpSources({ env: ctx.env, tuning: DEFAULT_TUNING })
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort('cancelled'), 60_000)
  try {
    const info = await http.describe(url, stop.signal)
    if (!info.fileName) {
      throw new UsageError(
        `${printableUrl(url)} names no file (no Content-Disposition, no file name in its path)`,
      )
    }
    const dir = resolve(folder ?? '.')
    const model = {
      url,
      localPath: join(dir, info.fileName),
      modelName: info.fileName,
      modelSize: info.size,
      directoryGroup: basename(dir),
    }
    return await parseSingleModel(model, {
      networkVolume: ctx.networkVolume,
      defaultBucket: ctx.defaultBucket,
      modelsRoots: ctx.modelsRoots,
    })
  } catch (err) {
    if (err instanceof TransferError) throw new UsageError(err.message)
    throw err
  } finally {
    clearTimeout(timer)
    http.destroy()
  }
}

/** A workflow model only at a URL: queued with its looked-up size, or why it was not. */
export type UrlLookup = { ok: true; entry: EnqueueEntry } | { ok: false; reason: string }

/**
 * Sizes of workflow models that are only at a URL, looked up a few at a time:
 * a URL that does not answer is left out with the reason, the others are queued.
 */
export async function lookUpUrlModels(
  models: ResolvedWorkflowModel[],
  ctx: CliContext,
): Promise<UrlLookup[]> {
  const http = new HttpSources({ env: ctx.env, tuning: DEFAULT_TUNING })
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort('cancelled'), 120_000)
  const one = async (m: ResolvedWorkflowModel): Promise<UrlLookup> => {
    if (!m.url || !m.localPath) return { ok: false, reason: m.problem ?? 'no place in the models folder' }
    try {
      const info = await http.describe(m.url, stop.signal)
      const entry = {
        group: m.folder,
        modelName: m.name,
        url: m.url,
        localPath: m.localPath,
        expectedSize: info.size,
      }
      return { ok: true, entry: { ...entry, ...(m.sha256 ? { sha256: m.sha256 } : {}) } }
    } catch (err) {
      const why = err instanceof TransferError ? err.message : String(err)
      return { ok: false, reason: `${printableUrl(m.url)} could not be looked up: ${why}` }
    }
  }
  try {
    const out: UrlLookup[] = []
    for (let i = 0; i < models.length; i += 4)
      out.push(...(await Promise.all(models.slice(i, i + 4).map(one))))
    return out
  } finally {
    clearTimeout(timer)
    http.destroy()
  }
}
