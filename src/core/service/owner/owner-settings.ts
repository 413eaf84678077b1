// The owner of a state folder applies `<state>/settings.json` whoever started it and whoever writes
// the file: a window of the app, `modeldl serve`'s, a hand edit. A file that cannot be used is logged
// and the settings in effect stay.
import { loadSettings, serviceSettingsOf, type SettingsSource } from '../../app/settings-loader'
import type { StoredCredentials } from '../../app/settings-patch'
import { SettingsFileWatcher } from '../../app/settings-watcher'
import type { ServiceSettings } from '../download-service'
import type { Logger } from '../persist/log'

export interface OwnerSettingsOptions {
  source: SettingsSource
  /** The app's stored keys (read at each re-read: they can change while it owns the queue). */
  credentials?: () => StoredCredentials | undefined
  /** What the service started with: a re-read that derives the same applies nothing. */
  initial: ServiceSettings
  apply(settings: ServiceSettings): void
  log: Pick<Logger, 'info' | 'warn'>
  debounceMs?: number
}

export interface OwnerSettingsFollower {
  /** Resolves once the latest re-read (if any) has been applied or refused. */
  settled(): Promise<void>
  close(): void
}

export function followSettingsFile(options: OwnerSettingsOptions): OwnerSettingsFollower {
  const { source, log } = options
  let last = JSON.stringify(options.initial)
  let reading: Promise<void> = Promise.resolve()
  const reread = (): void => {
    reading = reading.then(async () => {
      let next: ServiceSettings
      try {
        next = serviceSettingsOf(await loadSettings(source), options.credentials?.(), source.env)
      } catch (err) {
        log.warn(`${(err as Error).message} The settings in effect stay as they were.`)
        return
      }
      const key = JSON.stringify(next)
      if (key === last) return
      last = key
      log.info(`${source.path} changed: applying it`)
      options.apply(next)
    })
  }
  const watcher = new SettingsFileWatcher(source.path, reread, {
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    onError: (err) => log.warn(`Stopped following ${source.path}: ${err.message}`),
  })
  try {
    watcher.start()
  } catch (err) {
    log.warn(`Cannot follow ${source.path}: changes to it apply at the next start (${String(err)})`)
  }
  return { settled: () => reading, close: () => watcher.close() }
}
