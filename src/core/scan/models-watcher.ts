// Tells the window when something changed under the models root (a model deleted or copied in by hand,
// a download finished), so it can stat its models again. It says only *that* something changed: callers
// re-stat what they show, which is cheap and never misses an event that arrived while a folder was new.
import { watch, type FSWatcher } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export interface ModelsWatcherOptions {
  /** Quiet time before onChange, so a burst (an unpacked archive, a moved folder) is one call. */
  debounceMs?: number
  /** Longest delay under a steady stream of events (a download writing its .part file). */
  maxWaitMs?: number
  /** How often to look for a root that does not exist (yet). */
  pollMs?: number
  /**
   * 'auto': the OS's recursive watch where it is native (macOS, Windows), one watch per folder elsewhere.
   * The other two force one way, for tests.
   */
  strategy?: 'auto' | 'recursive' | 'per-directory'
}

/** Folders beyond this are not watched (a models root is not meant to hold a whole disk). */
const MAX_WATCHED_FOLDERS = 20_000

/**
 * Watches a models root for changes, debounced. Tolerates a root that does not exist yet or goes away
 * (it polls for it, then watches again), and follows symlinked group folders (models on another disk).
 *
 * Node 20's `recursive: true` on Linux is a JavaScript layer that puts a watch on every file and walks
 * the tree with synchronous calls, reporting every existing file as new when it starts; one inotify
 * watch per folder is all a change notice needs, so on Linux this watches folders itself.
 */
export class ModelsWatcher {
  readonly root: string
  private readonly debounceMs: number
  private readonly maxWaitMs: number
  private readonly pollMs: number
  private readonly strategy: 'recursive' | 'per-directory'
  private readonly folders = new Map<string, FSWatcher>()
  private recursive: FSWatcher | undefined
  private rootIno: number | undefined
  private poll: NodeJS.Timeout | undefined
  private timer: NodeJS.Timeout | undefined
  private firstEventAt = 0
  private flushing: Promise<void> | undefined
  private dirty = false
  private closed = false
  private started = false

  constructor(
    root: string,
    private readonly onChange: () => void,
    options: ModelsWatcherOptions = {},
  ) {
    this.root = resolve(root)
    this.debounceMs = options.debounceMs ?? 250
    this.maxWaitMs = Math.max(options.maxWaitMs ?? 2_000, this.debounceMs)
    this.pollMs = options.pollMs ?? 1_000
    const strategy = options.strategy ?? 'auto'
    this.strategy =
      strategy === 'auto'
        ? process.platform === 'darwin' || process.platform === 'win32'
          ? 'recursive'
          : 'per-directory'
        : strategy
  }

  /** Resolves once the root is watched, or, when it does not exist, once polling for it has begun. */
  async start(): Promise<void> {
    if (this.started || this.closed) return
    this.started = true
    await this.attach()
  }

  /** Stops every watch, timer and poll; no onChange is called after it resolves. */
  async close(): Promise<void> {
    this.closed = true
    this.detach()
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.flushing?.catch(() => undefined)
  }

  private async attach(): Promise<boolean> {
    const ino = await this.rootInode()
    if (this.closed) return false
    if (ino === undefined) {
      this.startPolling()
      return false
    }
    this.stopPolling()
    this.rootIno = ino
    if (this.strategy === 'recursive') {
      try {
        this.recursive = this.watchFolder(this.root, true)
      } catch {
        // The platform lacks a recursive watch after all, or the root went away meanwhile.
        this.recursive = undefined
        await this.syncFolders()
      }
    } else {
      await this.syncFolders()
    }
    return true
  }

  private detach(): void {
    this.stopPolling()
    this.recursive?.close()
    this.recursive = undefined
    for (const watcher of this.folders.values()) watcher.close()
    this.folders.clear()
    this.rootIno = undefined
  }

  private startPolling(): void {
    if (this.poll || this.closed) return
    this.poll = setInterval(() => {
      void this.rootInode().then((ino) => {
        // The root appeared: watch it, and say so (it may have arrived with files in it).
        if (ino !== undefined && this.poll && !this.closed) {
          this.stopPolling()
          this.schedule()
        }
      })
    }, this.pollMs)
    this.poll.unref()
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll)
    this.poll = undefined
  }

  private watchFolder(folder: string, recursive: boolean): FSWatcher {
    // Not persistent: a watcher alone must never keep a CLI process alive.
    const watcher = watch(folder, { recursive, persistent: false }, () => this.schedule())
    watcher.on('error', () => {
      // The folder went away (or the watch broke): the next flush re-checks the tree.
      watcher.close()
      if (this.folders.get(folder) === watcher) this.folders.delete(folder)
      if (this.recursive === watcher) this.recursive = undefined
      this.schedule()
    })
    return watcher
  }

  private schedule(): void {
    if (this.closed) return
    const now = Date.now()
    if (!this.timer) this.firstEventAt = now
    else clearTimeout(this.timer)
    const delay = Math.max(0, Math.min(this.debounceMs, this.firstEventAt + this.maxWaitMs - now))
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.startFlush()
    }, delay)
    this.timer.unref()
  }

  /** One flush at a time; events during a flush lead to one more after it. */
  private startFlush(): void {
    if (this.flushing) {
      this.dirty = true
      return
    }
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined
      if (this.dirty && !this.closed) {
        this.dirty = false
        this.schedule()
      }
    })
  }

  private async flush(): Promise<void> {
    const ino = await this.rootInode()
    if (this.closed) return
    if (ino === undefined || ino !== this.rootIno || (this.strategy === 'recursive' && !this.recursive)) {
      // Gone, replaced by another folder of the same name, or its watch broke: start over.
      this.detach()
      await this.attach()
    } else if (!this.recursive) {
      await this.syncFolders()
    }
    if (this.closed) return
    try {
      this.onChange()
    } catch {
      // The listener's own failure must not stop the watching.
    }
  }

  private async rootInode(): Promise<number | undefined> {
    try {
      const st = await stat(this.root)
      return st.isDirectory() ? st.ino : undefined
    } catch {
      return undefined
    }
  }

  /** Watches every folder now under the root (links to folders followed once) and drops vanished ones. */
  private async syncFolders(): Promise<void> {
    const found = await this.listFolders()
    if (this.closed) return
    for (const [folder, watcher] of this.folders) {
      if (!found.has(folder)) {
        watcher.close()
        this.folders.delete(folder)
      }
    }
    for (const folder of found) {
      if (this.folders.has(folder)) continue
      try {
        this.folders.set(folder, this.watchFolder(folder, false))
      } catch {
        // Removed since it was listed, or not readable: the parent's watch still reports it.
      }
    }
  }

  private async listFolders(): Promise<Set<string>> {
    const found = new Set<string>()
    const seenReal = new Set<string>()
    const queue = [this.root]
    while (queue.length > 0 && found.size < MAX_WATCHED_FOLDERS) {
      const folder = queue.shift() as string
      let real: string
      try {
        real = await realpath(folder)
      } catch {
        continue
      }
      // A link back up the tree (or two links to one folder) is watched once.
      if (seenReal.has(real)) continue
      seenReal.add(real)
      found.add(folder)
      let entries
      try {
        entries = await readdir(folder, { withFileTypes: true })
      } catch {
        continue
      }
      for (const entry of entries) {
        const path = join(folder, entry.name)
        if (entry.isDirectory()) queue.push(path)
        else if (entry.isSymbolicLink() && (await isFolder(path))) queue.push(path)
      }
    }
    return found
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
