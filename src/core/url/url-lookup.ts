// What a model at a URL is before it is queued: its size and file name, asked of the host with a HEAD
// (Hugging Face and CivitAI routed as the engine fetches them). Shared by `modeldl download single URL`,
// `modeldl workflow --download` and the window (url:lookup, workflow:download), so the three agree on
// what a URL names and why one cannot be queued.
import { join } from 'node:path'
import pLimit from 'p-limit'
import { DEFAULT_TUNING } from '../../shared/transfer'
import type { EnqueueEntry } from '../../shared/service-contract'
import { workflowUrlEntry, type ResolvedWorkflowModel } from '../../shared/workflow'
import { parseSingleModel, type ModelConfigOptions, type ModelEntry } from '../config'
import { TransferError } from '../transfer/errors'
import { HttpSources } from '../transfer/http-source/http-sources'
import { printableUrl } from './printable-url'

type Env = Record<string, string | undefined>
/** Certificates to trust instead of Node's defaults (HttpSources' `ca`); unset, the system's apply. */
type Ca = string[] | undefined

/** Why a URL could not be looked up: the host's answer (404, refused, unreachable) or no file name. */
export class UrlLookupError extends Error {
  override readonly name = 'UrlLookupError'
  constructor(
    /** The engine's code (`not_found`, `access_denied`, `network`, `invalid_job`…), or `no_file_name`. */
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const ONE_URL_TIMEOUT_MS = 60_000
const MANY_URLS_TIMEOUT_MS = 120_000
/** Look-ups in flight for one workflow: a few hosts answer at once, none is hammered. */
const LOOKUPS_IN_FLIGHT = 4

/**
 * One model from a URL alone: its size and name (Content-Disposition, else the path's last segment)
 * looked up with a HEAD, the file placed in the absolute folder `where.dir`, then checked like any config
 * entry (path safety, models roots; a ConfigError says what is wrong). A sha256 the host publishes is
 * not copied into the entry: the worker reads it again and the record says it came from the server.
 */
export async function describeUrlModel(
  url: string,
  where: { dir: string; group: string; env: Env; config: ModelConfigOptions; ca?: Ca },
): Promise<ModelEntry> {
  const http = new HttpSources({
    env: where.env,
    tuning: DEFAULT_TUNING,
    ...(where.ca ? { ca: where.ca } : {}),
  })
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort('cancelled'), ONE_URL_TIMEOUT_MS)
  try {
    let info
    try {
      info = await http.describe(url, stop.signal)
    } catch (err) {
      if (err instanceof TransferError) throw new UrlLookupError(err.code, err.message)
      throw err
    }
    if (!info.fileName) {
      throw new UrlLookupError(
        'no_file_name',
        `${printableUrl(url)} names no file (no Content-Disposition, no file name in its path)`,
      )
    }
    const model = {
      url,
      localPath: join(where.dir, info.fileName),
      modelName: info.fileName,
      modelSize: info.size,
      directoryGroup: where.group,
    }
    return await parseSingleModel(model, where.config)
  } finally {
    clearTimeout(timer)
    http.destroy()
  }
}

/** A workflow model only at a URL: queued with its looked-up size, or why it was not. */
export type UrlLookup = { ok: true; entry: EnqueueEntry } | { ok: false; reason: string }

/**
 * Sizes of workflow models that are only at a URL, looked up a few at a time: a URL that does not
 * answer is left out with the reason, the others are queued. The sha256 the workflow carries, if any,
 * goes with the entry.
 */
export async function lookUpUrlModels(
  models: ResolvedWorkflowModel[],
  env: Env,
  ca?: Ca,
): Promise<UrlLookup[]> {
  const http = new HttpSources({ env, tuning: DEFAULT_TUNING, ...(ca ? { ca } : {}) })
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort('cancelled'), MANY_URLS_TIMEOUT_MS)
  const one = async (m: ResolvedWorkflowModel): Promise<UrlLookup> => {
    if (!m.url || !m.localPath) return { ok: false, reason: m.problem ?? 'no place in the models folder' }
    try {
      const info = await http.describe(m.url, stop.signal)
      return { ok: true, entry: workflowUrlEntry(m, info.size) }
    } catch (err) {
      const why = err instanceof TransferError ? err.message : String(err)
      return { ok: false, reason: `${printableUrl(m.url)} could not be looked up: ${why}` }
    }
  }
  const limit = pLimit(LOOKUPS_IN_FLIGHT)
  try {
    return await Promise.all(models.map((m) => limit(() => one(m))))
  } finally {
    clearTimeout(timer)
    http.destroy()
  }
}
