// The state folder's settings as the window's backend sees them: `<state dir>/settings.json` through
// the one loader (settings-loader.ts), kept in step with the file whoever writes it. `modeldl serve`
// uses it as is; the desktop app wraps it to add its encrypted keys (src/main/settings).
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ApiError } from '../../shared/api-contract'
import type { SettingsPatch, SettingsView } from '../../shared/settings'
import type { ServiceSettings } from '../service/download-service'
import { readSettingsFile, SettingsFileError, writeSettingsFile, type SettingsFile } from './settings-file'
import {
  loadSettings,
  patchedFile,
  serviceSettingsOf,
  settingsFromFile,
  type LoadedSettings,
  type SettingsSource,
} from './settings-loader'
import {
  applySettingsPatch,
  parseSettingsPatch,
  type SettingsStore,
  type StoredCredentials,
} from './settings-patch'
import { SettingsFileWatcher } from './settings-watcher'

// Where these lived before the loader had a module of its own; every store's callers import them here.
export {
  accessKeyHint,
  applySettingsPatch,
  defaultAppSettings,
  defaultModelsRoot,
  parseSettingsPatch,
  type SettingsStore,
  type StoredCredentials,
} from './settings-patch'

type Env = Record<string, string | undefined>

export const CLI_KEYS_REFUSED =
  'The CLI never stores keys: use the AWS credential chain (AWS_PROFILE, environment variables, SSO)'

export interface FileSettingsStoreOptions {
  env?: Env
  home?: string
  /** Command-line flags (e.g. --models-root): win over the file and the environment for this process. */
  overrides?: SettingsPatch
  /** Follow the file when another process writes it (default true). */
  watch?: boolean
  /** A damaged file at open: throw (the CLI, serve: the user fixes it) or start from the defaults. */
  onDamaged?: 'throw' | 'defaults'
  log?: (level: 'info' | 'warn', message: string) => void
}

/**
 * `<state dir>/settings.json`, in the format every `modeldl` command reads. What the window shows is
 * what is in effect: the file, then the environment variables every command honours
 * (AWS_ENDPOINT_URL_S3, AWS_PROFILE, MODELDL_MODELS_ROOT…), then flags; a field set from elsewhere
 * than the file is named in the view's `overriddenBy`. An update is written atomically to the file,
 * which the owner of the queue (this process or another) watches and applies. Keys are never stored.
 */
export class FileSettingsStore implements SettingsStore {
  private readonly listeners = new Set<(view: SettingsView) => void>()
  private queue: Promise<unknown> = Promise.resolve()
  private watcher: SettingsFileWatcher | null = null

  private constructor(
    private readonly source: SettingsSource,
    private loaded: LoadedSettings,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
  ) {}

  static async open(path: string, options: FileSettingsStoreOptions = {}): Promise<FileSettingsStore> {
    const source: SettingsSource = {
      path,
      env: options.env ?? process.env,
      ...(options.home !== undefined ? { home: options.home } : {}),
      ...(options.overrides ? { overrides: options.overrides } : {}),
    }
    const log = options.log ?? (() => {})
    let loaded: LoadedSettings
    try {
      loaded = await loadSettings(source)
    } catch (err) {
      if (options.onDamaged !== 'defaults' || !(err instanceof SettingsFileError)) throw err
      log('warn', `${err.message} Using the defaults until it is fixed.`)
      loaded = settingsFromFile({}, source)
    }
    const store = new FileSettingsStore(source, loaded, log)
    if (options.watch ?? true) await store.follow()
    return store
  }

  get path(): string {
    return this.source.path
  }

  /** What is in effect, with the file it came from. */
  current(): LoadedSettings {
    return this.loaded
  }

  view(): SettingsView {
    const { settings, overriddenBy } = this.loaded
    return {
      settings: structuredClone(settings),
      keyStorage: { available: false, reason: CLI_KEYS_REFUSED },
      ...(Object.keys(overriddenBy).length > 0 ? { overriddenBy: { ...overriddenBy } } : {}),
    }
  }

  serviceSettings(): ServiceSettings {
    return serviceSettingsOf(this.loaded, undefined, this.source.env)
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
    return this.serialise(async () => {
      // Read again: another process may have written the file since; its fields are kept.
      let file: SettingsFile
      try {
        file = await readSettingsFile(this.source.path)
      } catch (err) {
        if (!(err instanceof SettingsFileError)) throw err
        throw new ApiError('unavailable', `${err.message} Nothing was saved.`)
      }
      const next = applySettingsPatch(settingsFromFile(file, this.source).settings, checked)
      const written = patchedFile(file, next, checked)
      await writeSettingsFile(this.source.path, written)
      this.loaded = settingsFromFile(written, this.source)
      const view = this.view()
      this.emit(view)
      return view
    })
  }

  onChange(listener: (view: SettingsView) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /** Stops following the file. */
  close(): void {
    this.watcher?.close()
    this.watcher = null
  }

  /** Re-reads the file; a damaged file is logged and the settings in effect stay. */
  reload(): Promise<void> {
    return this.serialise(async () => {
      let loaded: LoadedSettings
      try {
        loaded = await loadSettings(this.source)
      } catch (err) {
        this.log('warn', `${(err as Error).message} The settings in effect stay as they were.`)
        return
      }
      if (sameEffect(loaded, this.loaded)) return
      this.loaded = loaded
      this.emit(this.view())
    })
  }

  private async follow(): Promise<void> {
    // The folder may not exist yet (the owner creates it, private to the user): make it the same way.
    // When that fails the owner reports the folder's problem; there is nothing to follow then.
    const made = await mkdir(dirname(this.source.path), { recursive: true, mode: 0o700 }).then(
      () => true,
      () => false,
    )
    if (!made) return
    this.watcher = new SettingsFileWatcher(this.source.path, () => void this.reload(), {
      onError: (err) => this.log('warn', `Stopped following ${this.source.path}: ${err.message}`),
    })
    try {
      this.watcher.start()
    } catch (err) {
      this.watcher = null
      this.log('warn', `Cannot follow ${this.source.path} for changes by other processes: ${String(err)}`)
    }
  }

  private serialise<T>(step: () => Promise<T>): Promise<T> {
    // One write or re-read at a time, in order: two quick edits must not land as the older one.
    const run = this.queue.then(step)
    this.queue = run.catch(() => {})
    return run
  }

  private emit(view: SettingsView): void {
    for (const listener of this.listeners) {
      try {
        listener(view)
      } catch (err) {
        this.log('warn', `A settings listener failed: ${String(err)}`)
      }
    }
  }
}

/** Whether two loads mean the same to a window and to the service. */
export function sameEffect(a: LoadedSettings, b: LoadedSettings): boolean {
  const key = (l: LoadedSettings) => JSON.stringify([l.settings, l.modelsRoots, l.overriddenBy])
  return key(a) === key(b)
}
