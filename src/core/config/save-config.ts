// "Save as config" and "Add to config": models (from a scan or a loaded config) written in the old nested
// format, `{group: {modelKey: {originalS3Path, localPath, modelName, modelSize, directoryGroup, …}}}`, so
// scripts, the CLI and other machines read the same list.
import { mkdir, readFile } from 'node:fs/promises'
import { dirname, isAbsolute, normalize } from 'node:path'
import type { ModelInfo, SaveConfigRequest, SaveConfigResult } from '../../shared/api-contract'
import { writeFileAtomic } from '../fs/atomic-write'
import { isRecord } from './formats'
import { ConfigError } from './issues'
import { describeJsonError, locateJsonError } from './json-position'
import { assignKeys } from './model-keys'
import { withNetworkVolumePlaceholder } from './network-volume-path'
import { substituteNetworkVolume } from './placeholders'

export interface SaveConfigOptions {
  /** Paths under it are written with {{NETWORK_VOLUME}}. */
  networkVolume?: string
}

type Entry = Record<string, unknown>
type NestedConfig = Record<string, unknown>

/** One model as the nested format writes it, field names and order as the old system's configs. */
export function toConfigEntry(model: ModelInfo, options: SaveConfigOptions): Entry {
  return {
    originalS3Path: model.s3Uri,
    localPath: withNetworkVolumePlaceholder(model.localPath, options.networkVolume),
    modelName: model.modelName,
    modelSize: model.expectedSize,
    directoryGroup: model.group,
    ...(model.symLinkedFrom
      ? { symLinkedFrom: withNetworkVolumePlaceholder(model.symLinkedFrom, options.networkVolume) }
      : {}),
    ...(model.sha256 ? { sha256: model.sha256 } : {}),
  }
}

/** The nested config of these models alone, groups and models in the order given. */
export function buildNestedConfig(models: readonly ModelInfo[], options: SaveConfigOptions): NestedConfig {
  return mergeModels({}, uniqueByPath(models), options).config
}

/** The flat format: one object per model. Its ids are `directoryGroup/modelName`, so names must differ. */
export function buildFlatConfig(models: readonly ModelInfo[], options: SaveConfigOptions): Entry[] {
  return uniqueByPath(models).map((model) => {
    const { originalS3Path, localPath, modelName, modelSize, directoryGroup, ...rest } = toConfigEntry(
      model,
      options,
    )
    return { directoryGroup, modelName, originalS3Path, localPath, modelSize, ...rest }
  })
}

/**
 * 'new' replaces the file with these models; 'merge' adds them to the nested config already there,
 * updating an entry that names the same local file (keeping its key and every field it has that is not
 * the model's own) and leaving every other entry as it was. A missing file is created in either mode.
 * Bad requests and unusable files are ConfigErrors that name the file.
 */
export async function saveModelConfig(
  request: SaveConfigRequest,
  options: SaveConfigOptions,
): Promise<SaveConfigResult> {
  const path = request.path
  if (!isAbsolute(path) || path.includes('\0')) {
    throw new ConfigError(
      [{ entry: '', field: '', message: 'expected an absolute file path to save to' }],
      path,
    )
  }
  const models = uniqueByPath(request.models)
  const existing = request.mode === 'merge' ? await readNested(path) : {}
  const { config, written, kept } = mergeModels(existing, models, options)
  try {
    await mkdir(dirname(path), { recursive: true })
    // fsync: a config is written rarely and must survive a power cut whole or not at all.
    await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { fsync: true })
  } catch (err) {
    throw fileError(path, `cannot write the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  return { path, written, kept }
}

function mergeModels(
  existing: NestedConfig,
  models: ModelInfo[],
  options: SaveConfigOptions,
): { config: NestedConfig; written: number; kept: number } {
  const config: NestedConfig = { ...existing }
  let updated = 0
  const byGroup = new Map<string, ModelInfo[]>()
  for (const model of models) {
    const members = byGroup.get(model.group)
    if (members) members.push(model)
    else byGroup.set(model.group, [model])
  }

  for (const [group, members] of byGroup) {
    const current = config[group]
    if (current !== undefined && !isRecord(current)) {
      throw new ConfigError([
        { entry: group, field: '', message: 'is not an object of models; fix the group before adding to it' },
      ])
    }
    const entries: Record<string, unknown> = { ...(current ?? {}) }
    const byPath = new Map<string, string>()
    for (const [key, value] of Object.entries(entries)) {
      const local = isRecord(value) ? resolvedPath(value['localPath'], options.networkVolume) : undefined
      if (local !== undefined && !byPath.has(local)) byPath.set(local, key)
    }
    const fresh: ModelInfo[] = []
    for (const model of members) {
      const key = byPath.get(normalize(model.localPath))
      if (key === undefined) {
        fresh.push(model)
        continue
      }
      entries[key] = updateEntry(entries[key] as Entry, model, options)
      updated++
    }
    const keys = assignKeys(fresh, new Set(Object.keys(entries)))
    for (const model of fresh) entries[keys.get(model)!] = toConfigEntry(model, options)
    config[group] = entries
  }
  const total = countEntries(existing)
  return { config, written: models.length, kept: total - updated }
}

/**
 * The listing's facts replace the entry's; its own way of writing the same object and file (a key in
 * the default bucket, a {{NETWORK_VOLUME}} path), its symLinkedFrom and its unknown fields stay.
 */
function updateEntry(entry: Entry, model: ModelInfo, options: SaveConfigOptions): Entry {
  const fresh = toConfigEntry(model, options)
  const sameObject = namesObject(entry['originalS3Path'], model.s3Uri)
  const next: Entry = {
    ...entry,
    originalS3Path: sameObject ? entry['originalS3Path'] : fresh['originalS3Path'],
    modelName: model.modelName,
    modelSize: model.expectedSize,
    directoryGroup: model.group,
  }
  if (model.symLinkedFrom) next['symLinkedFrom'] = fresh['symLinkedFrom']
  if (model.sha256) next['sha256'] = model.sha256
  // A checksum of another object, or of another size of it, would fail every download.
  else if (!sameObject || entry['modelSize'] !== model.expectedSize) delete next['sha256']
  return next
}

/** Whether a config's originalS3Path (`s3://bucket/key`, or a key in the default bucket) is this URI. */
function namesObject(originalS3Path: unknown, s3Uri: string): boolean {
  if (typeof originalS3Path !== 'string') return false
  if (originalS3Path.startsWith('s3://')) return originalS3Path === s3Uri
  const key = originalS3Path.replace(/^\/+/, '')
  return /^s3:\/\/[^/]+\/(.+)$/.exec(s3Uri)?.[1] === key
}

function resolvedPath(localPath: unknown, networkVolume: string | undefined): string | undefined {
  if (typeof localPath !== 'string') return undefined
  const substituted = substituteNetworkVolume(localPath, networkVolume || undefined)
  return substituted.ok && isAbsolute(substituted.value) ? normalize(substituted.value) : undefined
}

/** One model per local file: the last one given wins (the freshest facts). */
function uniqueByPath(models: readonly ModelInfo[]): ModelInfo[] {
  const byPath = new Map<string, ModelInfo>()
  for (const model of models) {
    const path = normalize(model.localPath)
    byPath.delete(path)
    byPath.set(path, model)
  }
  return [...byPath.values()]
}

function countEntries(config: NestedConfig): number {
  let n = 0
  for (const group of Object.values(config)) if (isRecord(group)) n += Object.keys(group).length
  return n
}

async function readNested(path: string): Promise<NestedConfig> {
  let text: string
  try {
    text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {}
    throw fileError(path, `cannot read the file (${code ?? String(err)})`)
  }
  if (text.trim() === '') return {}
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    const at = locateJsonError(text, err)
    const where = at ? ` at line ${at.line}, column ${at.column}` : ''
    throw fileError(path, `not valid JSON${where}: ${describeJsonError(err)}; nothing was changed`)
  }
  if (Array.isArray(json)) {
    throw fileError(
      path,
      'is a flat list of models; adding merges into the nested format ({group: {model: …}}) only: save as a new file instead',
    )
  }
  if (!isRecord(json) || typeof json['originalS3Path'] === 'string') {
    throw fileError(path, 'is not a nested model config ({group: {model: …}}); nothing was changed')
  }
  return json
}

function fileError(path: string, message: string): ConfigError {
  return new ConfigError([{ entry: '', field: '', message }], path)
}
