// Before layout 3 the app kept every setting in its electron-store file; now only the keys stay there
// and the rest lives in the state folder's settings.json, shared with the CLI and `modeldl serve`.
import { access } from 'node:fs/promises'
import { patchedFile } from '../../core/app/settings-loader'
import { writeSettingsFile } from '../../core/app/settings-file'
import type { AppSettings, SettingsPatch } from '../../shared/settings'
import type { MigratableStore } from './settings-schema'
import { StoredAppSettingsSchema } from './settings-schema'

type Log = { info(message: string): void; warn(message: string): void }

/**
 * Moves the old layout's `settings` out of the app's store, once: into `settingsFile` when that does
 * not exist yet (only what differs from the defaults, so a default still follows the environment),
 * else they are dropped, since the state folder's file already is the truth for every door.
 */
export async function moveLegacySettings(
  store: MigratableStore,
  settingsFile: string,
  defaults: AppSettings,
  log: Log,
): Promise<void> {
  if (!store.has('settings')) return
  const legacy = StoredAppSettingsSchema.safeParse(store.get('settings'))
  const exists = await access(settingsFile).then(
    () => true,
    () => false,
  )
  if (legacy.success && !exists) {
    const patch = differences(legacy.data, defaults)
    await writeSettingsFile(settingsFile, patchedFile({}, legacy.data, patch))
    log.info(`Moved the app's settings to ${settingsFile}, where every modeldl command reads them`)
  } else if (legacy.success) {
    log.info(`${settingsFile} exists: the app uses it; its older settings of its own were not copied`)
  }
  store.delete('settings')
}

/** The fields of `settings` that differ from `defaults`, as a patch (keys excluded). */
function differences(settings: AppSettings, defaults: AppSettings): SettingsPatch {
  const patch: Record<string, unknown> = {}
  const s3: Record<string, unknown> = {}
  for (const key of ['endpoint', 'region', 'bucket', 'profile', 'forcePathStyle'] as const) {
    if (settings.s3[key] !== defaults.s3[key]) s3[key] = settings.s3[key]
  }
  if (Object.keys(s3).length > 0) patch['s3'] = s3
  for (const key of Object.keys(settings) as (keyof AppSettings)[]) {
    if (key === 's3') continue
    if (JSON.stringify(settings[key]) !== JSON.stringify(defaults[key])) patch[key] = settings[key]
  }
  return patch as SettingsPatch
}
