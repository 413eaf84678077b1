import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { SafeStorage } from 'electron'
import ElectronStore, { type Options } from 'electron-store'
import {
  applySettingsPatch,
  parseSettingsPatch,
  type SettingsStore,
  type StoredCredentials,
} from '../../core/app/settings-store'
import { ApiError } from '../../shared/api-contract'
import type { AppSettings, SettingsPatch, SettingsView } from '../../shared/settings'
import { keyStorageStatus, type KeyStorageStatus } from './key-storage'
import {
  migrateToLayout2,
  SETTINGS_LAYOUT_SEMVER,
  storeSchema,
  type MigratableStore,
  type StoredLayout,
} from './settings-schema'

export type SafeStoragePort = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptStringAsync' | 'decryptStringAsync'
>

export interface ElectronSettingsStoreOptions {
  safeStorage: SafeStoragePort
  defaults: AppSettings
  /** Folder of the file: the app's user-data folder. */
  cwd: string
  name?: string
  platform?: NodeJS.Platform
  log: { warn(message: string): void; info(message: string): void }
}

const STORE_NAME = 'settings'

/**
 * The app's settings: electron-store (a JSON file in the user-data folder, validated against the
 * schema, migrated by layout version), with access keys encrypted by safeStorage and kept decrypted
 * in memory only. Keys are refused, with the reason, where safeStorage cannot really encrypt.
 */
export class ElectronSettingsStore implements SettingsStore {
  private readonly listeners = new Set<(view: SettingsView) => void>()
  private writing: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly store: ElectronStore<StoredLayout>,
    private readonly options: ElectronSettingsStoreOptions,
    private keyStorage: KeyStorageStatus,
    private keys: StoredCredentials | undefined,
  ) {}

  /** Opens (or creates) the file. A file that cannot be read or migrated is kept aside, never fatal. */
  static async open(options: ElectronSettingsStoreOptions): Promise<ElectronSettingsStore> {
    const store = openStore(options)
    const keyStorage = await keyStorageStatus(options.safeStorage, options.platform)
    const keys = await decryptKeys(store, options)
    return new ElectronSettingsStore(store, options, keyStorage, keys)
  }

  get path(): string {
    return this.store.path
  }

  view(): SettingsView {
    return {
      settings: structuredClone(this.store.get('settings')),
      keyStorage: { ...this.keyStorage },
    }
  }

  credentials(): StoredCredentials | undefined {
    if (this.store.get('settings').s3.credentials !== 'keys' || !this.keys) return undefined
    return { ...this.keys }
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

  private async apply(raw: SettingsPatch): Promise<SettingsView> {
    const patch = parseSettingsPatch(raw)
    const s3 = patch.s3 ?? {}
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
    const next = applySettingsPatch(this.store.get('settings'), patch)
    if (next.s3.credentials === 'keys' && !encrypted)
      throw new ApiError(
        'bad_request',
        'No keys are stored: enter an access key ID and secret access key first',
      )
    this.store.set('settings', next)
    if (encrypted) this.store.set('keys', encrypted)
    else this.store.delete('keys')
    this.keys = keys
    if (typedKeys) this.options.log.info(`Stored new access keys (${next.s3.accessKeyHint}) encrypted`)
    const view = this.view()
    for (const listener of this.listeners) listener(view)
    return view
  }
}

function openStore(options: ElectronSettingsStoreOptions): ElectronStore<StoredLayout> {
  const name = options.name ?? STORE_NAME
  const storeOptions: Options<StoredLayout> & { projectVersion: string } = {
    name,
    cwd: options.cwd,
    schema: storeSchema(),
    defaults: { settings: options.defaults },
    // electron-store's types leave projectVersion out because it defaults to the app's version; its
    // runtime takes one. Migrations keyed by the file's own layout version stay independent of release
    // numbers (and of a downgrade-then-upgrade between releases).
    projectVersion: SETTINGS_LAYOUT_SEMVER,
    migrations: {
      [SETTINGS_LAYOUT_SEMVER]: (store) =>
        migrateToLayout2(store as unknown as MigratableStore, options.defaults),
    },
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
