// The one way to read a state folder's settings, for every door: CLI commands, `modeldl serve`, the
// desktop app and an owner re-reading the file it watches. Precedence, lowest first:
//   defaults < <state>/settings.json < environment variables < this process's command-line flags.
// From what is in effect come both the window's view (AppSettings) and, through serviceSettingsFrom,
// what the DownloadService runs with: the same file and environment give the same queue behaviour.
import { homedir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import type { AppSettings, SettingsPatch } from '../../shared/settings'
import type { ServiceSettings } from '../service/download-service'
import { serviceSettingsFrom } from './service-settings'
import { readSettingsFile, type SettingsFile } from './settings-file'
import {
  applySettingsPatch,
  defaultAppSettings,
  parseSettingsPatch,
  type StoredCredentials,
} from './settings-patch'

type Env = Record<string, string | undefined>

/** Where one process reads its settings from. */
export interface SettingsSource {
  /** `<state dir>/settings.json` */
  path: string
  env: Env
  /** The user's home folder (`~/models` is the last default models root). */
  home?: string
  /** This process's command-line flags (`--models-root`): win over the environment and the file. */
  overrides?: SettingsPatch
}

export interface LoadedSettings {
  /** The file as read, unknown fields included: what a rewrite starts from. */
  file: SettingsFile
  /** What is in effect, as the window shows it. */
  settings: AppSettings
  /** Every folder a model may be written in; modelsRoot is always inside one of them. */
  modelsRoots: string[]
  /** Fields in effect from elsewhere than the file, and where from: `{'s3.profile': 'AWS_PROFILE'}`. */
  overriddenBy: Record<string, string>
}

const MiB = 1024 * 1024
const FLAG = 'a command-line flag'

/** Reads and validates the file (SettingsFileError names the field), then applies the precedence. */
export async function loadSettings(source: SettingsSource): Promise<LoadedSettings> {
  return settingsFromFile(await readSettingsFile(source.path), source)
}

/** Pure: what a file's content means for a process with this environment and these flags. */
export function settingsFromFile(file: SettingsFile, source: SettingsSource): LoadedSettings {
  const { env } = source
  const home = source.home ?? homedir()
  const overriddenBy: Record<string, string> = {}
  const s = defaultAppSettings({}, home)
  if (file.endpoint !== undefined) s.s3.endpoint = file.endpoint
  if (file.region !== undefined) s.s3.region = file.region
  if (file.bucket !== undefined) s.s3.bucket = file.bucket
  if (file.profile !== undefined) s.s3.profile = file.profile
  if (file.forcePathStyle !== undefined) s.s3.forcePathStyle = file.forcePathStyle
  if (file.sourceUri !== undefined) s.sourceUri = file.sourceUri
  if (file.networkVolume !== undefined) s.networkVolume = file.networkVolume
  if (file.concurrency !== undefined) s.concurrency = file.concurrency
  if (file.connectionsPerFile !== undefined) s.connectionsPerFile = file.connectionsPerFile
  if (file.partSize !== undefined) s.partSizeMiB = Math.max(5, Math.round(file.partSize / MiB))
  if (file.bandwidthLimitBps !== undefined) s.bandwidthLimitBps = file.bandwidthLimitBps
  if (file.compressedSiblings !== undefined) s.compressedSiblings = file.compressedSiblings
  if (file.notifications !== undefined) s.notifications = file.notifications
  if (file.modelExtensions) s.modelExtensions = [...file.modelExtensions]

  // The variables every command honours; the first set of each list wins.
  const fromEnv = (field: string, names: string[], set: (value: string) => void): void => {
    const name = names.find((n) => env[n])
    if (!name) return
    set(env[name]!)
    overriddenBy[field] = name
  }
  fromEnv('s3.endpoint', ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], (v) => (s.s3.endpoint = v))
  fromEnv('s3.region', ['AWS_REGION', 'AWS_DEFAULT_REGION'], (v) => (s.s3.region = v))
  fromEnv('s3.profile', ['AWS_PROFILE'], (v) => (s.s3.profile = v))
  fromEnv('s3.bucket', ['AWS_BUCKET_NAME'], (v) => (s.s3.bucket = v))
  fromEnv('networkVolume', ['NETWORK_VOLUME'], (v) => (s.networkVolume = v))

  // Issue 6's rule for the models root: flag, MODELDL_MODELS_ROOT, the file's first root, then
  // `<network volume>/ComfyUI/models`, then `~/models`.
  const fileRoot = file.modelsRoots?.[0]
  if (fileRoot) s.modelsRoot = resolve(fileRoot)
  else s.modelsRoot = s.networkVolume ? join(s.networkVolume, 'ComfyUI', 'models') : join(home, 'models')
  fromEnv('modelsRoot', ['MODELDL_MODELS_ROOT'], (v) => (s.modelsRoot = resolve(v)))

  let settings = s
  if (source.overrides) {
    const flags = parseSettingsPatch(source.overrides)
    settings = applySettingsPatch(s, flags)
    for (const key of Object.keys(flags)) {
      if (key !== 's3') overriddenBy[key] = FLAG
    }
    for (const key of Object.keys(flags.s3 ?? {})) overriddenBy[`s3.${key}`] = FLAG
  }

  const rootByFlagOrEnv = source.overrides?.modelsRoot ?? (env['MODELDL_MODELS_ROOT'] || undefined)
  const roots = (
    rootByFlagOrEnv
      ? [rootByFlagOrEnv]
      : file.modelsRoots?.length
        ? file.modelsRoots
        : [settings.networkVolume || join(home, 'models')]
  ).map((r) => resolve(r))
  // Scanned models land under modelsRoot: the safety roots must admit it.
  if (!roots.some((r) => isInsideOrAt(settings.modelsRoot, r))) roots.push(settings.modelsRoot)
  return { file, settings, modelsRoots: roots, overriddenBy }
}

/**
 * What the DownloadService runs with, from what is in effect: the one derivation every door uses.
 * `credentials` are the app's stored keys when it uses them (its store says when), else undefined.
 */
export function serviceSettingsOf(
  loaded: LoadedSettings,
  credentials: StoredCredentials | undefined,
  env: Env,
): ServiceSettings {
  // The file never says 'keys' (keys live only in the app): keys handed in are the app's, in use.
  const settings = credentials
    ? { ...loaded.settings, s3: { ...loaded.settings.s3, credentials: 'keys' as const } }
    : loaded.settings
  return serviceSettingsFrom(settings, credentials, env, loaded.modelsRoots)
}

/**
 * The file after a (validated) patch: only the patched fields are written (a variable's or a flag's
 * value never lands in the file), everything else in the file stays as it was.
 */
export function patchedFile(file: SettingsFile, next: AppSettings, patch: SettingsPatch): SettingsFile {
  const out: Record<string, unknown> = { ...file }
  const set = (key: keyof SettingsFile, value: unknown, keep = true): void => {
    if (keep) out[key] = value
    else delete out[key]
  }
  const s3 = patch.s3 ?? {}
  if (s3.endpoint !== undefined) set('endpoint', next.s3.endpoint, next.s3.endpoint !== '')
  if (s3.region !== undefined) set('region', next.s3.region, next.s3.region !== '')
  if (s3.bucket !== undefined) set('bucket', next.s3.bucket, next.s3.bucket !== '')
  if (s3.profile !== undefined) set('profile', next.s3.profile, next.s3.profile !== '')
  if (s3.forcePathStyle !== undefined) set('forcePathStyle', next.s3.forcePathStyle)
  if (patch.sourceUri !== undefined) set('sourceUri', next.sourceUri, next.sourceUri !== '')
  if (patch.modelsRoot !== undefined) {
    const others = (file.modelsRoots ?? []).slice(1).filter((r) => resolve(r) !== next.modelsRoot)
    set('modelsRoots', [next.modelsRoot, ...others])
  }
  if (patch.networkVolume !== undefined) set('networkVolume', next.networkVolume, next.networkVolume !== '')
  if (patch.concurrency !== undefined) set('concurrency', next.concurrency)
  if (patch.connectionsPerFile !== undefined) set('connectionsPerFile', next.connectionsPerFile)
  if (patch.partSizeMiB !== undefined) set('partSize', next.partSizeMiB * MiB)
  if (patch.bandwidthLimitBps !== undefined) set('bandwidthLimitBps', next.bandwidthLimitBps)
  if (patch.compressedSiblings !== undefined) set('compressedSiblings', next.compressedSiblings)
  if (patch.notifications !== undefined) set('notifications', next.notifications)
  if (patch.modelExtensions !== undefined) set('modelExtensions', next.modelExtensions)
  return out as SettingsFile
}

function isInsideOrAt(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
}
