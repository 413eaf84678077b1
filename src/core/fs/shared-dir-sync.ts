import { fsyncDir } from './atomic-write'

// Per folder: the sync that has not started yet (new callers join it) and the one under way.
const queued = new Map<string, Promise<void>>()
const running = new Map<string, Promise<void>>()

/**
 * Makes the renames already done in `dir` durable, sharing one folder fsync between the callers
 * that ask at about the same time (a group commit): eight small files finishing together cost one
 * or two syncs of their folder instead of eight (each is an open, an fsync and a close on the
 * thread pool, and on ext4 a journal commit).
 *
 * A sync that started before a caller's rename may not cover it, so a caller only ever joins a sync
 * that has not started yet; if one is under way, the next starts when it ends. Every caller of a
 * sync that fails gets its error.
 */
export function syncDirShared(dir: string): Promise<void> {
  const waiting = queued.get(dir)
  if (waiting) return waiting
  const before = running.get(dir) ?? Promise.resolve()
  const next = before
    .catch(() => undefined)
    .then(() => {
      // From here on this sync may miss a rename: later callers queue the next one.
      queued.delete(dir)
      const sync = fsyncDir(dir)
      running.set(dir, sync)
      return sync.finally(() => {
        if (running.get(dir) === sync) running.delete(dir)
      })
    })
  queued.set(dir, next)
  return next
}
