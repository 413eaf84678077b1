// Model configs as the window gets them: parsed and checked by src/core/config with the user's settings,
// each model with its local state from stat. A rejected config is an answer, not an error: the window
// shows every issue (entry and field) so the user can fix the file.
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import {
  ConfigError,
  loadModelConfigFile,
  parseModelConfig,
  type ModelConfigOptions,
  type ModelEntry,
  type ParsedModelConfig,
} from '../config'
import { FolderListings } from '../config/folder-listing'
import { describeJsonError, locateJsonError } from '../config/json-position'
import { formatSize, tooLarge } from '../config/read-config'
import { partPath } from '../transfer/sidecar'
import type {
  ConfigLoadResult,
  ConfigSource,
  LocalInfo,
  LoadedConfig,
  ModelInfo,
} from '../../shared/api-contract'
import { MAX_CONFIG_BYTES } from '../../shared/limits'
import { sourceFields } from '../../shared/service-contract'
import type { AppSettings } from '../../shared/settings'
import { localInfo } from './local-info'

type Env = Record<string, string | undefined>

/** The placeholder prefix the shipped sample uses; it is laid out under whichever models root is set. */
const SAMPLE_ROOT_PLACEHOLDER = '{{NETWORK_VOLUME}}/ComfyUI/models'
/** The sample's own (fictional) bucket, for its paths that name none when no bucket is configured. */
const SAMPLE_BUCKET = 'example-model-bucket'
/** stat calls in flight at once: enough to hide latency on a network volume, few enough not to flood it. */
const STAT_CONCURRENCY = 32

export function configOptions(settings: AppSettings, env: Env = process.env): ModelConfigOptions {
  const networkVolume = settings.networkVolume || env['NETWORK_VOLUME'] || ''
  const bucket = settings.s3.bucket || env['AWS_BUCKET_NAME'] || ''
  return {
    ...(networkVolume ? { networkVolume } : {}),
    ...(bucket ? { defaultBucket: bucket } : {}),
    modelsRoots: [settings.modelsRoot],
  }
}

export function modelInfo(entry: ModelEntry): ModelInfo {
  return {
    id: entry.localPath,
    entryId: entry.id,
    group: entry.group,
    modelName: entry.modelName,
    ...sourceFields(entry),
    localPath: entry.localPath,
    expectedSize: entry.expectedSize,
    ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
    ...(entry.symLinkedFrom ? { symLinkedFrom: entry.symLinkedFrom } : {}),
  }
}

/** `s3://bucket/common/prefix/` per bucket: what the source bar shows. */
export function configSources(models: readonly ModelInfo[]): string[] {
  const keysByBucket = new Map<string, string[]>()
  for (const m of models) {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(m.s3Uri ?? '')
    if (!match) continue
    const [, bucket = '', key = ''] = match
    const keys = keysByBucket.get(bucket) ?? []
    keys.push(key)
    keysByBucket.set(bucket, keys)
  }
  return [...keysByBucket].map(([bucket, keys]) => {
    let prefix = keys[0] ?? ''
    for (const key of keys) while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1)
    return `s3://${bucket}/${prefix.slice(0, prefix.lastIndexOf('/') + 1)}`
  })
}

/**
 * Local state of many paths, a bounded number of stat calls at a time. By path. Each folder is listed
 * once: a model whose folder shows neither its file nor its `.part` is missing without three failed
 * stat calls (a 50,000-model config is mostly that).
 */
export async function statModels(
  models: ReadonlyArray<{ localPath: string; expectedSize: number }>,
): Promise<Record<string, LocalInfo>> {
  const out: Record<string, LocalInfo> = {}
  const listings = new FolderListings()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < models.length) {
      const m = models[next++]!
      const folder = dirname(m.localPath)
      const absent =
        (await listings.state(folder, basename(m.localPath))) === 'absent' &&
        (await listings.state(folder, basename(partPath(m.localPath)))) === 'absent'
      out[m.localPath] = absent ? { state: 'missing' } : await localInfo(m.localPath, m.expectedSize)
    }
  }
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, models.length) }, worker))
  return out
}

async function loaded(source: ConfigSource, parsed: ParsedModelConfig): Promise<LoadedConfig> {
  const models = parsed.entries.map(modelInfo)
  return {
    source,
    format: parsed.format,
    models,
    local: await statModels(models),
    sources: configSources(models),
    loadedAt: new Date().toISOString(),
  }
}

async function attempt(
  source: ConfigSource,
  parse: () => Promise<ParsedModelConfig>,
): Promise<ConfigLoadResult> {
  try {
    return { ok: true, config: await loaded(source, await parse()) }
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: err.message, issues: err.issues }
    throw err
  }
}

export function loadConfigFile(path: string, options: ModelConfigOptions): Promise<ConfigLoadResult> {
  return attempt({ kind: 'file', path }, () => loadModelConfigFile(path, options))
}

/**
 * Text the window handed over (a dropped file, a browser's file input). Held to the same limits as a
 * file here, whichever door it came through: over MAX_CONFIG_BYTES is refused before it is parsed.
 */
export function loadConfigText(
  name: string,
  text: string,
  options: ModelConfigOptions,
): Promise<ConfigLoadResult> {
  return attempt({ kind: 'text', name }, async () => {
    // UTF-8 takes at least a byte per UTF-16 unit, so a text that long is too large without counting.
    const size = text.length > MAX_CONFIG_BYTES ? MAX_CONFIG_BYTES + 1 : Buffer.byteLength(text, 'utf8')
    if (size > MAX_CONFIG_BYTES) {
      const what =
        text.length > MAX_CONFIG_BYTES ? `more than ${formatSize(MAX_CONFIG_BYTES)}` : formatSize(size)
      throw new ConfigError([{ entry: '', field: '', message: tooLarge(what) }], name)
    }
    return parseModelConfig(parseJsonText(name, text), options)
  })
}

/**
 * The sample shipped with the app, placed under the configured models root (its paths assume the
 * ComfyUI layout on a network volume, which most machines opening the sample do not have).
 */
export function loadSampleConfig(path: string, options: ModelConfigOptions): Promise<ConfigLoadResult> {
  const root = options.modelsRoots[0] ?? ''
  return attempt({ kind: 'sample' }, async () => {
    const text = (await readFile(path, 'utf8')).replaceAll(
      SAMPLE_ROOT_PLACEHOLDER,
      JSON.stringify(root).slice(1, -1),
    )
    return parseModelConfig(parseJsonText(path, text), {
      ...options,
      defaultBucket: options.defaultBucket ?? SAMPLE_BUCKET,
    })
  })
}

function parseJsonText(name: string, text: string): unknown {
  const body = text.replace(/^\uFEFF/, '')
  const fail = (message: string): ConfigError => new ConfigError([{ entry: '', field: '', message }], name)
  if (body.trim() === '') throw fail('the file is empty; expected JSON')
  try {
    return JSON.parse(body)
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    const at = locateJsonError(body, err)
    throw fail(
      `not valid JSON${at ? ` at line ${at.line}, column ${at.column}` : ''}: ${describeJsonError(err)}`,
    )
  }
}
