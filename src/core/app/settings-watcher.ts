import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'

/** A writer's temp file and rename arrive as a few events: one re-read per burst. */
export const SETTINGS_DEBOUNCE_MS = 150

export interface SettingsWatcherOptions {
  debounceMs?: number
  /** The folder cannot be watched (removed, too many watches): changes by others go unnoticed. */
  onError?: (err: Error) => void
}

/**
 * Calls `onChange` after `<state>/settings.json` was written, by this process or any other. It
 * watches the folder, not the file: an atomic write replaces the file (a new inode a file watch
 * would miss). Never keeps the process alive on its own.
 */
export class SettingsFileWatcher {
  private watcher: FSWatcher | null = null
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    readonly path: string,
    private readonly onChange: () => void,
    private readonly options: SettingsWatcherOptions = {},
  ) {}

  /** Throws when the folder cannot be watched (it does not exist, say). */
  start(): void {
    if (this.watcher || this.closed) return
    const name = basename(this.path)
    const watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
      // No name (some platforms, overflows): re-read anyway, a re-read of the same file is harmless.
      if (file === null || file.toString() === name) this.schedule()
    })
    watcher.on('error', (err) => {
      this.close()
      this.options.onError?.(err)
    })
    this.watcher = watcher
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.watcher?.close()
    this.watcher = null
  }

  private schedule(): void {
    if (this.closed) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.closed) this.onChange()
    }, this.options.debounceMs ?? SETTINGS_DEBOUNCE_MS)
    this.timer.unref()
  }
}
