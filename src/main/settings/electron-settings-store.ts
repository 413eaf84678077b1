import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { SafeStorage } from 'electron'
import { serviceSettingsFrom } from '../../core/app/service-settings'
import {
  applySettingsPatch,
  FileSettingsStore,
  parseSettingsPatch,
  type SettingsStore,
  type StoredCredentials,
} from '../../core/app/settings-store'
import type { ServiceSettings } from '../../core/service/download-service'
import { ApiError } from '../../shared/api-contract'
import type { AppSettings, SettingsPatch, SettingsView } from '../../shared/settings'
import { keyStorageStatus, type KeyStorageStatus } from './key-storage'
import { moveLegacySettings } from './legacy-settings'
import {
  SETTINGS_LAYOUT_SEMVER,
  storeMigrations,
  storeSchema,
  type MigratableStore,
  type StoredLayout,
} from './settings-schema'
import ElectronStore, { type Options } from 'electron-store'

export type SafeStoragePort = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptStringAsync' | 'decryptStringAsync'
>

export interface ElectronSettingsStoreOptions {
  safeStorage: SafeStoragePort
  /** The defaults an old app file's settings are migrated over (and compared with when moved out). */
  defaults: AppSettings
  /** Folder of the keys file: the app's user-data folder. */
  cwd: string
  name?: string
  /** The state folder's settings.json: every setting but the keys lives there. */
  settingsFile: string
  env?: Record<string, string | undefined>
  /** The user's home folder, for the default models root. */
  home?: string
  /** Follow settings.json when another process writes it (default true). */
  watch?: boolean
  platform?: NodeJS.Platform
  log: { warn(message: string): void; info(message: string): void }
}

const STORE_NAME = 'settings'

/** Said wherever keys can be stored: they reach only this app's own service. */
export const KEYS_STAY_IN_THE_APP =
  'Keys are kept encrypted for this app only: they are used while the app owns the queue. When ' +
  'another process owns it (modeldl serve, a modeldl command), that process uses its own AWS ' +
  'credential chain (profile, SSO, environment variables).'

/**
 * The app's settings: everything but the keys in the state folder's settings.json, through the one
 * loader every door uses (FileSettingsStore), and the access keys in electron-store (a JSON file in
 * the user-data folder), encrypted by safeStorage and kept decrypted in memory only. Keys are
 * refused, with the reason, where safeStorage cannot really encrypt.
 */
export class ElectronSettingsStore implements SettingsStore {
  private readonly listeners = new Set<(view: SettingsView) => void>()
  private writing: Promise<unknown> = Promise.resolve()
  private updating = false

  private constructor(
    private readonly store: ElectronStore<StoredLayout>,
    private readonly file: FileSettingsStore,
    private readonly options: ElectronSettingsStoreOptions,
    private keyStorage: KeyStorageStatus,
    private keys: StoredCredentials | undefined,
  ) {
    // Changes made by another process (a `modeldl serve` window, a hand edit) reach this app's windows.
    file.onChange(() => {
      if (!this.updating) this.emit(this.view())
    })
  }

  /** Opens (or creates) the keys file; a file that cannot be read or migrated is kept aside. */
  static async open(options: ElectronSettingsStoreOptions): Promise<ElectronSettingsStore> {
    const store = openStore(options)
    const keyStorage = await keyStorageStatus(options.safeStorage, options.platform)
    const keys = await decryptKeys(store, options)
    await moveLegacySettings(
      store as unknown as MigratableStore,
      options.settingsFile,
      options.defaults,
      options.log,
    )
    const file = await FileSettingsStore.open(options.settingsFile, {
      env: options.env ?? process.env,
      ...(options.home !== undefined ? { home: options.home } : {}),
      watch: options.watch ?? true,
      // The window must open to let the user fix it; the damage is logged with the field named.
      onDamaged: 'defaults',
      log: (level, message) => options.log[level](message),
    })
    return new ElectronSettingsStore(store, file, options, keyStorage, keys)
  }

  /** The keys file. */
  get path(): string {
    return this.store.path
  }

  get settingsFile(): string {
    return this.file.path
  }

  view(): SettingsView {
    const view = this.file.view()
    view.settings.s3.credentials = this.store.get('credentials') ?? 'chain'
    view.settings.s3.accessKeyHint = this.store.get('accessKeyHint') ?? ''
    view.keyStorage = { ...this.keyStorage, scope: KEYS_STAY_IN_THE_APP }
    return view
  }

  credentials(): StoredCredentials | undefined {
    if (this.store.get('credentials') !== 'keys' || !this.keys) return undefined
    return { ...this.keys }
  }

  serviceSettings(): ServiceSettings {
    const env = this.options.env ?? process.env
    return serviceSettingsFrom(this.view().settings, this.credentials(), env, this.file.current().modelsRoots)
  }

  update(patch: SettingsPatch): Promise<SettingsView> {
    // One update at a time, in order: encryption is asynchronous, and two quick edits must not land
    // as the older one.
    const run = this.writing.then(() => this.apply(patch))
    this.writing = run.catch(() => {})
    return run
  }

  onChange(listener: (view: SettingsView) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  close(): void {
    this.file.close()
  }

  private async apply(raw: SettingsPatch): Promise<SettingsView> {
    const patch = parseSettingsPatch(raw)
    const { s3: s3Patch, ...rest } = patch
    const s3 = s3Patch ?? {}
    const typedKeys = s3.accessKeyId !== undefined || s3.secretAccessKey !== undefined
    if (typedKeys || s3.credentials === 'keys') {
      // Asked again each time: a keyring may have been unlocked (or locked) since the app started.
      this.keyStorage = await keyStorageStatus(this.options.safeStorage, this.options.platform)
      if (!this.keyStorage.available)
        throw new ApiError('forbidden', this.keyStorage.reason ?? 'Keys cannot be stored here')
    }
    if (typedKeys && (s3.accessKeyId === undefined || s3.secretAccessKey === undefined))
      throw new ApiError('bad_request', 'Enter both the access key ID and the secret access key')
    let keys = s3.clearKeys ? undefined : this.keys
    let encrypted = s3.clearKeys ? undefined : this.store.get('keys')
    if (s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined) {
      keys = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
      const { safeStorage } = this.options
      encrypted = {
        accessKeyId: (await safeStorage.encryptStringAsync(keys.accessKeyId)).toString('base64'),
        secretAccessKey: (await safeStorage.encryptStringAsync(keys.secretAccessKey)).toString('base64'),
      }
    }
    const next = applySettingsPatch(this.view().settings, patch)
    if (next.s3.credentials === 'keys' && !encrypted)
      throw new ApiError(
        'bad_request',
        'No keys are stored: enter an access key ID and secret access key first',
      )

    // Everything but the keys goes to the state folder's file, which the owner of the queue follows.
    const {
      credentials: _mode,
      accessKeyId: _id,
      secretAccessKey: _secret,
      clearKeys: _clear,
      ...plainS3
    } = s3
    const plain: SettingsPatch = { ...rest, ...(Object.keys(plainS3).length > 0 ? { s3: plainS3 } : {}) }
    if (Object.keys(plain).length > 0) {
      this.updating = true
      try {
        await this.file.update(plain)
      } finally {
        this.updating = false
      }
    }

    this.store.set('credentials', next.s3.credentials)
    this.store.set('accessKeyHint', next.s3.accessKeyHint)
    if (encrypted) this.store.set('keys', encrypted)
    else this.store.delete('keys')
    this.keys = keys
    if (typedKeys) this.options.log.info(`Stored new access keys (${next.s3.accessKeyHint}) encrypted`)
    const view = this.view()
    this.emit(view)
    return view
  }

  private emit(view: SettingsView): void {
    for (const listener of this.listeners) listener(view)
  }
}

function openStore(options: ElectronSettingsStoreOptions): ElectronStore<StoredLayout> {
  const name = options.name ?? STORE_NAME
  const migrations = storeMigrations(options.defaults)
  const storeOptions: Options<StoredLayout> & { projectVersion: string } = {
    name,
    cwd: options.cwd,
    schema: storeSchema(),
    // electron-store's types leave projectVersion out because it defaults to the app's version; its
    // runtime takes one. Migrations keyed by the file's own layout version stay independent of release
    // numbers (and of a downgrade-then-upgrade between releases).
    projectVersion: SETTINGS_LAYOUT_SEMVER,
    migrations: Object.fromEntries(
      Object.entries(migrations).map(([version, run]) => [
        version,
        (store: unknown) => run(store as MigratableStore),
      ]),
    ),
    beforeEachMigration: (_store, { fromVersion, toVersion }) =>
      options.log.info(`Migrating the settings file from layout ${fromVersion} to ${toVersion}`),
    clearInvalidConfig: false,
    watch: false,
  }
  try {
    return new ElectronStore<StoredLayout>(storeOptions)
  } catch (err) {
    // Unreadable JSON, a schema violation or a failed migration: keep the file for the user to look
    // at, start again from the defaults.
    const file = join(options.cwd, `${name}.json`)
    if (!existsSync(file)) throw err
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(file, aside)
    options.log.warn(`The settings file could not be used (${(err as Error).message}); moved to ${aside}`)
    return new ElectronStore<StoredLayout>(storeOptions)
  }
}

async function decryptKeys(
  store: ElectronStore<StoredLayout>,
  options: ElectronSettingsStoreOptions,
): Promise<StoredCredentials | undefined> {
  const encrypted = store.get('keys')
  if (!encrypted) return undefined
  try {
    const [id, secret] = await Promise.all([
      options.safeStorage.decryptStringAsync(Buffer.from(encrypted.accessKeyId, 'base64')),
      options.safeStorage.decryptStringAsync(Buffer.from(encrypted.secretAccessKey, 'base64')),
    ])
    return { accessKeyId: id.result, secretAccessKey: secret.result }
  } catch (err) {
    // The keyring that encrypted them is locked or gone: keep them for a later start that can read them.
    options.log.warn(`The stored access keys cannot be decrypted now: ${(err as Error).message}`)
    return undefined
  }
}
