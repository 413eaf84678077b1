// "Save as config" and "Add to config": models (from a scan or a loaded config) written in the old nested
// format, `{group: {modelKey: {originalS3Path, localPath, modelName, modelSize, directoryGroup, …}}}`, so
// scripts, the CLI and other machines read the same list.
import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, normalize } from 'node:path'
import type { ModelInfo, SaveConfigRequest, SaveConfigResult } from '../../shared/api-contract'
import { fsyncDir } from '../fs/atomic-write'
import { isRecord, locateModels } from './formats'
import { ConfigError, formatIssue } from './issues'
import { describeJsonError, locateJsonError } from './json-position'
import { assignKeys } from './model-keys'
import { withNetworkVolumePlaceholder } from './network-volume-path'
import { substituteNetworkVolume } from './placeholders'
import { checkRawModel } from './schema'

export interface SaveConfigOptions {
  /** Paths under it are written with {{NETWORK_VOLUME}}. */
  networkVolume?: string
}

type Entry = Record<string, unknown>
type NestedConfig = Record<string, unknown>

// Group and model names come from a store or a config: they are data, never property names of an
// object that has a prototype. While a config is built they live in Maps; the objects written out are
// made with no prototype and own properties only, so a group or key named `__proto__`, `constructor` or
// `hasOwnProperty` is written as a key like any other (an assignment of `__proto__` would set the
// prototype instead, and a lookup of `constructor` would find Object's).

/** An object with exactly these own, enumerable properties, in this order, and no prototype. */
function plainObject(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const object = Object.create(null) as Record<string, unknown>
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return object
}

/** One model as the nested format writes it, field names and order as the old system's configs. */
export function toConfigEntry(model: ModelInfo, options: SaveConfigOptions): Entry {
  return {
    ...(model.url !== undefined ? { url: model.url } : { originalS3Path: model.s3Uri }),
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
  return mergeModels(new Map(), uniqueByPath(models), options).config
}

/** The flat format: one object per model. Its ids are `directoryGroup/modelName`, so names must differ. */
export function buildFlatConfig(models: readonly ModelInfo[], options: SaveConfigOptions): Entry[] {
  return uniqueByPath(models).map((model) => {
    const { localPath, modelName, modelSize, directoryGroup, ...rest } = toConfigEntry(model, options)
    return { directoryGroup, modelName, ...rest, localPath, modelSize }
  })
}

/**
 * 'new' replaces the file with these models; 'merge' adds them to the nested config already there,
 * updating an entry that names the same local file (keeping its key and every field it has that is not
 * the model's own) and leaving every other entry as it was. A missing file is created in either mode.
 *
 * It writes only a `.json` file that is not a dotfile, into a folder that exists (none is created), over
 * nothing or a regular file (never a link, folder, FIFO or device), by renaming a new file in the same
 * folder into place, so a link planted at the path is replaced, never followed. 'merge' adds only to a
 * file it can read as a nested model config. Bad requests and unusable files are ConfigErrors that
 * name the file, and leave it as it was.
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
  const target = await checkTarget(path)
  const models = uniqueByPath(request.models)
  const existing = request.mode === 'merge' && target ? await readNested(path) : new Map<string, unknown>()
  const { config, written, kept } = mergeModels(existing, models, options)
  // fsync: a config is written rarely and must survive a power cut whole or not at all.
  await replaceFile(path, `${JSON.stringify(config, null, 2)}\n`, target?.mode)
  return { path, written, kept }
}

/**
 * Refuses a path saveModelConfig must not write; returns what stands there (a regular file), or
 * undefined when nothing does.
 */
async function checkTarget(path: string): Promise<Stats | undefined> {
  const name = basename(path)
  if (name.startsWith('.')) {
    throw fileError(
      path,
      `"${name}" is a hidden file (its name starts with a dot): choose a name like models.json`,
    )
  }
  if (!name.toLowerCase().endsWith('.json')) {
    throw fileError(path, `"${name}" does not end in .json: a model config is saved as a .json file`)
  }
  const folder = dirname(path)
  let folderStats: Stats
  try {
    folderStats = await stat(folder)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`
    throw fileError(path, `the folder ${folder} ${why}: saving creates no folders; choose an existing one`)
  }
  if (!folderStats.isDirectory()) {
    throw fileError(path, `${folder} is not a folder: choose an existing folder to save into`)
  }
  let stats: Stats
  try {
    stats = await lstat(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw fileError(path, `cannot look at the file (${code ?? String(err)})`)
  }
  if (!stats.isFile()) {
    throw fileError(path, `${describeKind(stats)} stands there, not a regular file; nothing was changed`)
  }
  return stats
}

function describeKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a named pipe (FIFO)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'something other than a file'
}

/**
 * Writes a new file beside the target (exclusively, never through a link) and renames it over the
 * target: readers and a crash see the old content or the new, and a link planted at the target after
 * checkTarget is itself replaced, not followed. An existing file's permissions are kept.
 */
async function replaceFile(path: string, text: string, mode: number | undefined): Promise<void> {
  // A short name of its own, whatever the target's length (NAME_MAX), and one no config is called.
  const tmp = join(dirname(path), `.modeldl-save-${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  try {
    const fh = await open(tmp, flags, 0o644)
    try {
      if (mode !== undefined) await fh.chmod(mode & 0o777)
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw fileError(path, `cannot write the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  // The new file is in place: a folder that cannot be synced (some network file systems) does not
  // make the save a failure.
  await fsyncDir(dirname(path)).catch(() => undefined)
}

/** The config as groups → (key → entry), in order, from a nested config object. */
function groupsOf(config: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.entries(config))
}

function mergeModels(
  existing: ReadonlyMap<string, unknown>,
  models: ModelInfo[],
  options: SaveConfigOptions,
): { config: NestedConfig; written: number; kept: number } {
  const config = new Map(existing)
  let updated = 0
  const byGroup = new Map<string, ModelInfo[]>()
  for (const model of models) {
    const members = byGroup.get(model.group)
    if (members) members.push(model)
    else byGroup.set(model.group, [model])
  }

  for (const [group, members] of byGroup) {
    const current = config.get(group)
    if (current !== undefined && !isRecord(current)) {
      throw new ConfigError([
        { entry: group, field: '', message: 'is not an object of models; fix the group before adding to it' },
      ])
    }
    const entries = new Map<string, unknown>(current ? Object.entries(current) : [])
    const byPath = new Map<string, string>()
    for (const [key, value] of entries) {
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
      entries.set(key, updateEntry(entries.get(key) as Entry, model, options))
      updated++
    }
    const keys = assignKeys(fresh, new Set(entries.keys()))
    for (const model of fresh) entries.set(keys.get(model)!, toConfigEntry(model, options))
    config.set(group, plainObject(entries))
  }
  const total = countEntries(existing)
  return { config: plainObject(config), written: models.length, kept: total - updated }
}
/**
 * The listing's facts replace the entry's; its own way of writing the same object and file (a key in
 * the default bucket, a {{NETWORK_VOLUME}} path), its symLinkedFrom and its unknown fields stay.
 */
function updateEntry(entry: Entry, model: ModelInfo, options: SaveConfigOptions): Entry {
  const fresh = toConfigEntry(model, options)
  const sameObject =
    model.url !== undefined
      ? entry['url'] === model.url
      : namesObject(entry['originalS3Path'], model.s3Uri ?? '')
  const source =
    model.url !== undefined
      ? { url: model.url }
      : { originalS3Path: sameObject ? entry['originalS3Path'] : fresh['originalS3Path'] }
  const next: Entry = {
    ...entry,
    ...source,
    modelName: model.modelName,
    modelSize: model.expectedSize,
    directoryGroup: model.group,
  }
  // One source per entry: the kind the model has now.
  delete next[model.url !== undefined ? 'originalS3Path' : 'url']
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

function countEntries(config: ReadonlyMap<string, unknown>): number {
  let n = 0
  for (const group of config.values()) if (isRecord(group)) n += Object.keys(group).length
  return n
}

/** Shown of a config that cannot be added to, before "and N more". */
const SHOWN_PROBLEMS = 3

/**
 * The nested model config at `path` (a regular file, as checkTarget found), as groups; an empty file
 * is an empty config. Anything else, including JSON that is not a model config, is refused: adding to
 * it would turn some other file into a config.
 */
async function readNested(path: string): Promise<Map<string, unknown>> {
  let text: string
  try {
    // O_NOFOLLOW and a look at what was opened: a link or a FIFO put there since checkTarget is refused,
    // not read through (O_NONBLOCK: opening a FIFO would otherwise wait for a writer).
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      if (!(await fh.stat()).isFile()) throw fileError(path, 'is not a regular file; nothing was changed')
      text = (await fh.readFile('utf8')).replace(/^\uFEFF/, '')
    } finally {
      await fh.close()
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw fileError(path, `cannot read the file (${code ?? String(err)}); nothing was changed`)
  }
  if (text.trim() === '') return new Map()
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
  const located = locateModels(json)
  const problems = [...located.issues]
  for (const model of located.models) {
    const checked = checkRawModel(model.value, model.entry)
    if (!checked.ok) problems.push(...checked.issues)
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN_PROBLEMS).map(formatIssue).join('; ')
    const more = problems.length > SHOWN_PROBLEMS ? ` and ${problems.length - SHOWN_PROBLEMS} more` : ''
    throw fileError(
      path,
      `is not a model config that can be added to (${shown}${more}): fix it or save as a new file; nothing was changed`,
    )
  }
  return groupsOf(json)
}

function fileError(path: string, message: string): ConfigError {
  return new ConfigError([{ entry: '', field: '', message }], path)
}
