// The user's settings as the window's backend sees them, whoever keeps them: electron-store in the app
// (src/main), `<state dir>/settings.json` for `modeldl serve` (FileSettingsStore below). The pure
// functions here are shared by both, so the two stores agree on defaults and on what a patch does.
import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
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
import { writeFileAtomic } from '../fs/atomic-write'
import { DEFAULT_SERVICE_SETTINGS } from '../service/download-service'
import { SettingsFileSchema, type SettingsFile } from './settings-file'

type Env = Record<string, string | undefined>

export interface StoredCredentials {
  accessKeyId: string
  secretAccessKey: string
}

export interface SettingsStore {
  view(): SettingsView
  /** Validates and applies a patch, persists it, notifies listeners. Rejects with ApiError. */
  update(patch: SettingsPatch): Promise<SettingsView>
  /** The stored keys, decrypted, when `s3.credentials` is 'keys'; never shown to the window. */
  credentials(): StoredCredentials | undefined
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

// ---- the CLI's store ---------------------------------------------------------------------------

export const CLI_KEYS_REFUSED =
  'The CLI never stores keys: use the AWS credential chain (AWS_PROFILE, environment variables, SSO)'

/** The settings a file holds, over the defaults. */
function fromFile(base: AppSettings, file: SettingsFile): AppSettings {
  const s = { ...base, s3: { ...base.s3 } }
  if (file.endpoint !== undefined) s.s3.endpoint = file.endpoint
  if (file.region !== undefined) s.s3.region = file.region
  if (file.bucket !== undefined) s.s3.bucket = file.bucket
  if (file.profile !== undefined) s.s3.profile = file.profile
  if (file.forcePathStyle !== undefined) s.s3.forcePathStyle = file.forcePathStyle
  if (file.sourceUri !== undefined) s.sourceUri = file.sourceUri
  if (file.modelsRoots?.[0]) s.modelsRoot = resolve(file.modelsRoots[0])
  if (file.networkVolume !== undefined) s.networkVolume = file.networkVolume
  if (file.concurrency !== undefined) s.concurrency = file.concurrency
  if (file.connectionsPerFile !== undefined) s.connectionsPerFile = file.connectionsPerFile
  if (file.partSize !== undefined) s.partSizeMiB = Math.max(5, Math.round(file.partSize / MiB))
  if (file.bandwidthLimitBps !== undefined) s.bandwidthLimitBps = file.bandwidthLimitBps
  if (file.compressedSiblings !== undefined) s.compressedSiblings = file.compressedSiblings
  if (file.notifications !== undefined) s.notifications = file.notifications
  if (file.modelExtensions) s.modelExtensions = [...file.modelExtensions]
  return s
}

/** Every CLI command lets these variables win over the file; the window shows what is in effect. */
function withEnvironment(s: AppSettings, env: Env): AppSettings {
  const out = { ...s, s3: { ...s.s3 } }
  const endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL']
  if (endpoint) out.s3.endpoint = endpoint
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION']
  if (region) out.s3.region = region
  if (env['AWS_PROFILE']) out.s3.profile = env['AWS_PROFILE']
  if (env['AWS_BUCKET_NAME']) out.s3.bucket = env['AWS_BUCKET_NAME']
  if (env['NETWORK_VOLUME']) out.networkVolume = env['NETWORK_VOLUME']
  if (env['MODELDL_MODELS_ROOT']) out.modelsRoot = resolve(env['MODELDL_MODELS_ROOT'])
  return out
}

/** Writes the patched fields into the file's object; everything else in the file stays as it was. */
function intoFile(file: SettingsFile, next: AppSettings, patch: SettingsPatch): SettingsFile {
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

async function readSettingsFile(path: string): Promise<SettingsFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new Error(`Cannot read the settings file ${path}: ${(err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new Error(`The settings file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  const parsed = SettingsFileSchema.safeParse(json)
  if (!parsed.success) {
    throw new Error(`The settings file ${path} is not valid: ${describeZodError(parsed.error)}`)
  }
  return parsed.data
}

export interface FileSettingsStoreOptions {
  env?: Env
  home?: string
  /** Command-line flags (e.g. --models-root): win over the file and the environment for this process. */
  overrides?: SettingsPatch
}

/**
 * `modeldl serve`'s settings: `<state dir>/settings.json`, in the format every `modeldl` command reads.
 * What the window shows is what is in effect: the file, then the environment variables the CLI honours
 * (AWS_ENDPOINT_URL_S3, AWS_PROFILE, MODELDL_MODELS_ROOT…), then flags. An update from the window takes
 * effect at once and is written to the file; variables still win at the next start, as they do for
 * every command. Keys are never stored: the CLI uses the AWS credential chain.
 */
export class FileSettingsStore implements SettingsStore {
  private readonly listeners = new Set<(view: SettingsView) => void>()
  private writing: Promise<unknown> = Promise.resolve()

  private constructor(
    readonly path: string,
    private file: SettingsFile,
    private current: AppSettings,
  ) {}

  static async open(path: string, options: FileSettingsStoreOptions = {}): Promise<FileSettingsStore> {
    const env = options.env ?? process.env
    const file = await readSettingsFile(path)
    let settings = withEnvironment(fromFile(defaultAppSettings(env, options.home), file), env)
    if (options.overrides) settings = applySettingsPatch(settings, parseSettingsPatch(options.overrides))
    return new FileSettingsStore(path, file, settings)
  }

  view(): SettingsView {
    return {
      settings: structuredClone(this.current),
      keyStorage: { available: false, reason: CLI_KEYS_REFUSED },
    }
  }

  credentials(): StoredCredentials | undefined {
    return undefined
  }

  update(patch: SettingsPatch): Promise<SettingsView> {
    let checked: SettingsPatch
    try {
      checked = parseSettingsPatch(patch)
      const s3 = checked.s3
      if (s3?.accessKeyId !== undefined || s3?.secretAccessKey !== undefined || s3?.credentials === 'keys') {
        throw new ApiError('forbidden', CLI_KEYS_REFUSED)
      }
    } catch (err) {
      return Promise.reject(err)
    }
    // One write at a time, in order: two quick edits must not land as the older one.
    const run = this.writing.then(async () => {
      const next = applySettingsPatch(this.current, checked)
      const file = intoFile(this.file, next, checked)
      await mkdir(dirname(this.path), { recursive: true })
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`)
      this.file = file
      this.current = next
      const view = this.view()
      for (const listener of this.listeners) listener(view)
      return view
    })
    this.writing = run.catch(() => {})
    return run
  }

  onChange(listener: (view: SettingsView) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
