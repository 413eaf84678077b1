import { basename, join, resolve } from 'node:path'
import { parseSingleModel, type ModelEntry } from '../core/config'
import { TransferError } from '../core/transfer/errors'
import { HttpSources } from '../core/transfer/http-source/http-sources'
import { printableUrl } from '../core/url/printable-url'
import { DEFAULT_TUNING } from '../shared/transfer'
import type { CliContext } from './cli-settings'
import { UsageError } from './usage-error'

/** An argument that names a URL (any scheme: the source refuses what is not https, with a reason). */
export function isUrlArgument(arg: string | undefined): arg is string {
  return arg !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(arg)
}

/**
 * One model from a URL alone: its size, name (Content-Disposition, else the path's last segment) and
 * published sha256 looked up with a HEAD, the file placed in `folder` (default: the current folder),
 * then checked like any config entry (path safety, models roots).
 */
export async function urlModel(url: string, folder: string | undefined, ctx: CliContext): Promise<ModelEntry> {
  const http = new HttpSources({ env: ctx.env, tuning: DEFAULT_TUNING })
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort('cancelled'), 60_000)
  try {
    const info = await http.describe(url, stop.signal)
    if (!info.fileName) {
      throw new UsageError(`${printableUrl(url)} names no file (no Content-Disposition, no file name in its path)`)
    }
    const dir = resolve(folder ?? '.')
    const model = {
      url,
      localPath: join(dir, info.fileName),
      modelName: info.fileName,
      modelSize: info.size,
      directoryGroup: basename(dir),
      ...(info.checksum?.algorithm === 'sha256' ? { sha256: info.checksum.hex } : {}),
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
