// The user's settings as the window edits them: the defaults, what a patch may contain and what it
// does. Pure, shared by every store (the state folder's settings.json, the app's encrypted keys).
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { ApiError } from '../../shared/api-contract'
import { describeZodError } from '../../shared/service-schemas'
import {
  DEFAULT_MODEL_EXTENSIONS,
  SettingsPatchSchema,
  type AppSettings,
  type SettingsPatch,
  type SettingsView,
} from '../../shared/settings'
import { DEFAULT_TUNING } from '../../shared/transfer'
import { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../service/download-service'

type Env = Record<string, string | undefined>

export interface StoredCredentials {
  accessKeyId: string
  secretAccessKey: string
}

/** What the window's backend needs of the settings, whoever keeps them. */
export interface SettingsStore {
  view(): SettingsView
  /** What the DownloadService runs with, by the one derivation (serviceSettingsFrom). */
  serviceSettings(): ServiceSettings
  /** Validates and applies a patch, persists it, notifies listeners. Rejects with ApiError. */
  update(patch: SettingsPatch): Promise<SettingsView>
  /** The stored keys, decrypted, when `s3.credentials` is 'keys'; never shown to the window. */
  credentials(): StoredCredentials | undefined
  /** Called on every change: this process's updates and the file changed by another. */
  onChange(listener: (view: SettingsView) => void): () => void
}

const MiB = 1024 * 1024

/** Issue 6's rule: MODELDL_MODELS_ROOT, else `$NETWORK_VOLUME/ComfyUI/models`, else `~/models`. */
export function defaultModelsRoot(env: Env = process.env, home: string = homedir()): string {
  if (env['MODELDL_MODELS_ROOT']) return resolve(env['MODELDL_MODELS_ROOT'])
  if (env['NETWORK_VOLUME']) return join(env['NETWORK_VOLUME'], 'ComfyUI', 'models')
  return join(home, 'models')
}

export function defaultAppSettings(env: Env = process.env, home: string = homedir()): AppSettings {
  return {
    s3: {
      endpoint: '',
      region: '',
      bucket: '',
      profile: '',
      // Only used with a custom endpoint, where wildcard DNS for bucket hosts is rare.
      forcePathStyle: true,
      credentials: 'chain',
      accessKeyHint: '',
    },
    sourceUri: '',
    modelsRoot: defaultModelsRoot(env, home),
    networkVolume: '',
    concurrency: DEFAULT_SERVICE_SETTINGS.concurrency,
    connectionsPerFile: DEFAULT_TUNING.connectionsPerFile,
    partSizeMiB: DEFAULT_TUNING.partSize / MiB,
    bandwidthLimitBps: DEFAULT_TUNING.bandwidthLimitBps,
    notifications: true,
    compressedSiblings: false,
    modelExtensions: [...DEFAULT_MODEL_EXTENSIONS],
  }
}

/** What a window may see of an access key id: enough to recognise it, never enough to use it. */
export function accessKeyHint(accessKeyId: string): string {
  return `${accessKeyId.slice(0, 4)}…`
}

/** Checks a patch from the window; a failure names the field ("concurrency: must be at most 64"). */
export function parseSettingsPatch(value: unknown): SettingsPatch {
  const result = SettingsPatchSchema.safeParse(value)
  if (!result.success)
    throw new ApiError('bad_request', `Invalid settings: ${describeZodError(result.error)}`)
  return result.data
}

/** Whether a patch touches the keys (typed keys, the keys mode, forgetting them). */
export function patchesKeys(patch: SettingsPatch): boolean {
  const s3 = patch.s3
  return (
    s3?.accessKeyId !== undefined ||
    s3?.secretAccessKey !== undefined ||
    s3?.credentials !== undefined ||
    s3?.clearKeys !== undefined
  )
}

/**
 * The settings after a (validated) patch. Pure: keys in the patch only change `accessKeyHint` here;
 * storing them is the store's business (and the CLI's store refuses them).
 */
export function applySettingsPatch(current: AppSettings, patch: SettingsPatch): AppSettings {
  const next: AppSettings = {
    ...current,
    s3: { ...current.s3 },
    modelExtensions: [...current.modelExtensions],
  }
  const { s3, ...rest } = patch
  if (s3) {
    const { accessKeyId, secretAccessKey: _secret, clearKeys, ...plain } = s3
    Object.assign(next.s3, plain)
    if (clearKeys) {
      next.s3.accessKeyHint = ''
      if (!accessKeyId && plain.credentials === undefined) next.s3.credentials = 'chain'
    }
    if (accessKeyId) next.s3.accessKeyHint = accessKeyHint(accessKeyId)
  }
  Object.assign(next, rest)
  if (rest.modelsRoot !== undefined) next.modelsRoot = resolve(rest.modelsRoot)
  if (rest.modelExtensions) {
    next.modelExtensions = [...new Set(rest.modelExtensions.map((e) => e.toLowerCase()))]
  }
  return next
}
