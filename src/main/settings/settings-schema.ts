// What the app's electron-store file (`settings.json` in the app's user-data folder) holds: since
// layout 3 only what concerns access keys (the keys, encrypted by safeStorage, whether to use them and
// a hint of which they are). Every other setting lives in the state folder's settings.json, shared
// with the CLI and `modeldl serve`. The JSON Schema electron-store validates every read and write
// against, and the migrations that bring an older file up to it.
import { isAbsolute, normalize, resolve } from 'node:path'
import { z } from 'zod'
import { S3SettingsPatchSchema, SettingsPatchSchema, type AppSettings } from '../../shared/settings'

/** The layout version of the file. Bump it and add a migration when the layout changes. */
export const SETTINGS_LAYOUT_VERSION = 3
/** electron-store orders migrations by semver: layout N is version `N.0.0`. */
export const SETTINGS_LAYOUT_SEMVER = `${SETTINGS_LAYOUT_VERSION}.0.0`
const LAYOUT_2_SEMVER = '2.0.0'

export const StoredS3SettingsSchema = S3SettingsPatchSchema.omit({
  accessKeyId: true,
  secretAccessKey: true,
  clearKeys: true,
})
  .required()
  .extend({ accessKeyHint: z.string().max(16) })

/** Layout 2's `settings` (every setting): read once at open and moved to the state folder's file. */
export const StoredAppSettingsSchema = SettingsPatchSchema.omit({ s3: true })
  .required()
  .extend({ s3: StoredS3SettingsSchema }) satisfies z.ZodType<AppSettings>

/** The keys as safeStorage encrypted them, base64: only this process, on this OS account, reads them. */
export const EncryptedKeysSchema = z
  .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
  .strict()

export const CredentialsModeSchema = z.enum(['chain', 'keys'])
export const AccessKeyHintSchema = z.string().max(16)

export interface StoredLayout {
  /** Only in a file from before layout 3, until it has been moved to the state folder. */
  settings?: AppSettings
  keys?: z.infer<typeof EncryptedKeysSchema>
  credentials?: z.infer<typeof CredentialsModeSchema>
  accessKeyHint?: string
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7' })
  return rest
}

/** electron-store's `schema` option: one JSON Schema per top-level key. */
export function storeSchema(): Record<keyof StoredLayout, Record<string, unknown>> {
  return {
    settings: jsonSchema(StoredAppSettingsSchema),
    keys: jsonSchema(EncryptedKeysSchema),
    credentials: jsonSchema(CredentialsModeSchema),
    accessKeyHint: jsonSchema(AccessKeyHintSchema),
  }
}

/** electron-store's `migrations` option. */
export function storeMigrations(defaults: AppSettings): Record<string, (store: MigratableStore) => void> {
  return {
    [LAYOUT_2_SEMVER]: (store) => migrateToLayout2(store, defaults),
    [SETTINGS_LAYOUT_SEMVER]: (store) => migrateToLayout3(store),
  }
}

/** The part of electron-store a migration uses. */
export interface MigratableStore {
  get(key: string): unknown
  set(key: string, value: unknown): void
  has(key: string): boolean
  delete(key: string): void
}

/**
 * Layout 2 → 3: the keys' mode and hint leave `settings` for the top level, where they stay. The rest
 * of `settings` is left for ElectronSettingsStore.open to move to the state folder's settings.json
 * (a file write, which a synchronous migration cannot do), after which `settings` is deleted.
 */
export function migrateToLayout3(store: MigratableStore): void {
  const settings = StoredAppSettingsSchema.safeParse(store.get('settings'))
  if (!settings.success) return
  store.set('credentials', settings.data.s3.credentials)
  store.set('accessKeyHint', settings.data.s3.accessKeyHint)
}

/** Layout 1 kept the settings flat at the top level, under the names of the CLI's settings.json. */
const LAYOUT_1_KEYS = [
  'endpoint',
  'region',
  'bucket',
  'profile',
  'forcePathStyle',
  'networkVolume',
  'modelsRoots',
  'concurrency',
  'maxConnections',
  'connectionsPerFile',
  'partSize',
  'bandwidthLimitBps',
  'compressedSiblings',
  'notifications',
] as const

const MiB = 1024 * 1024

/**
 * Layout 1 → 2: the flat fields move into `settings` (the window's AppSettings shape), the part size
 * goes from bytes to MiB, the first of `modelsRoots` becomes `modelsRoot`. Values that do not fit the
 * new schema are dropped (the default stays) rather than failing the whole file. A file already in
 * layout 2 passes unchanged.
 */
export function migrateToLayout2(store: MigratableStore, defaults: AppSettings): void {
  const old: Record<string, unknown> = {}
  for (const key of LAYOUT_1_KEYS) {
    if (store.has(key)) old[key] = store.get(key)
  }
  if (Object.keys(old).length === 0) return
  const current = StoredAppSettingsSchema.safeParse(store.get('settings'))
  const base: AppSettings = current.success ? current.data : defaults
  const s3: Record<string, unknown> = {}
  for (const key of ['endpoint', 'region', 'bucket', 'profile', 'forcePathStyle'] as const) {
    if (old[key] !== undefined) s3[key] = old[key]
  }
  const patch: Record<string, unknown> = {}
  for (const key of ['networkVolume', 'concurrency', 'connectionsPerFile', 'bandwidthLimitBps'] as const) {
    if (old[key] !== undefined) patch[key] = old[key]
  }
  for (const key of ['compressedSiblings', 'notifications'] as const) {
    if (old[key] !== undefined) patch[key] = old[key]
  }
  if (typeof old['partSize'] === 'number') patch['partSizeMiB'] = Math.round(old['partSize'] / MiB)
  const roots = old['modelsRoots']
  if (Array.isArray(roots) && typeof roots[0] === 'string') {
    // Resolved like every other way a root is set (a patch, the CLI's file): no trailing separator. A
    // relative path stays relative, so the schema refuses it instead of rooting it in the app's cwd.
    const root = normalize(roots[0])
    patch['modelsRoot'] = isAbsolute(root) ? resolve(root) : root
  }

  const next: AppSettings = { ...base, s3: { ...base.s3 } }
  for (const [key, value] of Object.entries(s3)) {
    const field = StoredS3SettingsSchema.shape[key as keyof typeof StoredS3SettingsSchema.shape]
    if (field.safeParse(value).success) Object.assign(next.s3, { [key]: value })
  }
  for (const [key, value] of Object.entries(patch)) {
    const field = SettingsPatchSchema.shape[key as keyof typeof SettingsPatchSchema.shape]
    if (field.safeParse(value).success) Object.assign(next, { [key]: value })
  }
  store.set('settings', next)
  for (const key of LAYOUT_1_KEYS) store.delete(key)
}
