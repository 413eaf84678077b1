// Exactly one process owns a state folder at a time: a lock with stale recovery, so an owner that was
// SIGKILLed, crashed or lost power does not keep the folder locked forever (the old system's lock files did).
import { constants as fsConstants } from 'node:fs'
import { access, mkdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { check, lock } from 'proper-lockfile'
import { z } from 'zod'
import type { OwnerKind } from '../../../shared/service-contract'
import { writeFileAtomic } from '../../fs/atomic-write'
import type { StatePaths } from '../state-paths'

/**
 * A live owner refreshes its lock's mtime every UPDATE_MS; a lock untouched for STALE_MS is taken over.
 * A SIGKILLed owner's folder is thus free again within STALE_MS, and an owner whose event loop stalls
 * for less than STALE_MS - UPDATE_MS keeps it.
 */
export const LOCK_STALE_MS = 10_000
export const LOCK_UPDATE_MS = 4_000

/** Who owns a state folder: what owner.json says, believed only while the lock is fresh. */
export interface OwnerInfo {
  pid: number
  kind: OwnerKind
  /** ISO time the ownership was taken. */
  since: string
  /** Where the owner serves the DownloadService (Unix socket or Windows named pipe). */
  socket: string
}

export interface OwnerLock {
  readonly info: OwnerInfo
  /**
   * Resolves (never rejects) if the lock was lost while held: its folder was removed or another process
   * took it over after this one stalled past the stale time. The owner must then stop writing state and
   * stop serving; release() is a no-op from then on.
   */
  readonly compromised: Promise<Error>
  /** Gives the folder up: removes owner.json, then the lock. Safe to call more than once. */
  release(): Promise<void>
}

export interface AcquireOptions {
  kind: OwnerKind
  /** Told once if the lock is lost; the default logs to stderr (proper-lockfile's default would throw). */
  onCompromised?: (err: Error) => void
}

const ownerInfoSchema = z.object({
  pid: z.number().int().positive(),
  kind: z.enum(['app', 'cli', 'daemon', 'serve']),
  since: z.string(),
  socket: z.string(),
}) satisfies z.ZodType<OwnerInfo>

/** Why a state folder cannot be used, by error code; anything else is not a condition we know. */
const FOLDER_PROBLEMS: Record<string, string> = {
  ENOTDIR: 'is not a folder',
  EEXIST: 'is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
}

/**
 * The state folder (or a file in it) cannot be used: under a regular file, unwritable, on a read-only
 * or full disk. A condition of the machine, not a bug: the CLI prints the message without a stack.
 */
export class StateFolderError extends Error {
  override readonly name = 'StateFolderError'
  constructor(
    readonly dir: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * `err` as a StateFolderError when it is one of the known conditions of the folder at `dir`, else
 * `err` unchanged. For ENOTDIR it names the regular file that stands where a folder should be.
 */
export async function asStateFolderError(dir: string, err: unknown): Promise<unknown> {
  const e = err as NodeJS.ErrnoException | null
  const code = e?.code
  const problem = code ? FOLDER_PROBLEMS[code] : undefined
  if (!code || !problem) return err
  const hint = 'Set MODELDL_HOME (or --home) to a folder you can write to.'
  let what = `${e.path ?? dir}: ${problem} (${code})`
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const file = await firstNonFolder(dir)
    what = file ? `${file} is a file, not a folder (${code})` : `${e.path ?? dir} ${problem} (${code})`
  }
  return new StateFolderError(dir, code, `Cannot use the state folder ${dir}: ${what}. ${hint}`, {
    cause: err,
  })
}

/**
 * Creates the state folder if needed and checks this process may write in it, before a background
 * owner is started for it (a child with no terminal could not say why it failed).
 */
export async function ensureStateFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await access(dir, fsConstants.W_OK | fsConstants.X_OK)
  } catch (err) {
    throw await asStateFolderError(dir, err)
  }
}

/** The nearest of `dir` and its parents that exists but is not a folder, if any. */
async function firstNonFolder(dir: string): Promise<string | null> {
  for (let p = dir; ; p = dirname(p)) {
    const s = await stat(p).catch(() => null)
    if (s) return s.isDirectory() ? null : p
    if (dirname(p) === p) return null
  }
}

function lockOptions(paths: StatePaths) {
  // The lock is a folder inside the state folder (proper-lockfile mkdirs it atomically). realpath off:
  // the lock's own path is absolute and fixed, so two spellings of the state folder meet at one lock.
  return { lockfilePath: join(paths.dir, 'owner.lock'), stale: LOCK_STALE_MS, realpath: false }
}

/**
 * Takes ownership of the state folder, creating it (private to the user) if needed.
 * Null when another live process owns it; throws on anything else (permissions, a read-only disk).
 */
export async function acquireOwnership(
  paths: StatePaths,
  options: AcquireOptions,
): Promise<OwnerLock | null> {
  try {
    return await acquire(paths, options)
  } catch (err) {
    throw await asStateFolderError(paths.dir, err)
  }
}

async function acquire(paths: StatePaths, options: AcquireOptions): Promise<OwnerLock | null> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })

  let settleCompromised: (err: Error) => void = () => {}
  const compromised = new Promise<Error>((resolve) => (settleCompromised = resolve))
  let lost = false
  const onCompromised = (err: Error): void => {
    if (lost) return
    lost = true
    settleCompromised(err)
    if (options.onCompromised) options.onCompromised(err)
    else console.error(`modeldl: lost ownership of ${paths.dir}: ${err.message}`)
  }

  let unlock: () => Promise<void>
  try {
    unlock = await lock(paths.dir, { ...lockOptions(paths), update: LOCK_UPDATE_MS, onCompromised })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return null
    throw err
  }

  const info: OwnerInfo = {
    pid: process.pid,
    kind: options.kind,
    since: new Date().toISOString(),
    socket: paths.socketPath,
  }
  try {
    await writeFileAtomic(paths.ownerFile, `${JSON.stringify(info, null, 2)}\n`)
  } catch (err) {
    await unlock().catch(() => {})
    throw err
  }

  let released: Promise<void> | null = null
  const release = async (): Promise<void> => {
    if (lost) return
    // owner.json goes first, while the lock is still ours: no other owner can have written it yet.
    const current = await readOwnerFile(paths)
    if (current?.pid === process.pid && current.since === info.since)
      await rm(paths.ownerFile, { force: true })
    await unlock().catch((err: NodeJS.ErrnoException) => {
      // Lost between the check above and now: the folder is someone else's, nothing left to release.
      if (err.code !== 'ERELEASED' && err.code !== 'ENOTACQUIRED') throw err
    })
  }
  return {
    info,
    compromised,
    release: () => (released ??= release()),
  }
}

/**
 * Who owns the state folder now, or null. owner.json alone is not believed: it may be left by an owner
 * that was killed; the lock must be fresh and the pid alive too.
 */
export async function readOwner(paths: StatePaths): Promise<OwnerInfo | null> {
  try {
    const info = await readOwnerFile(paths)
    if (!info) return null
    if (!(await check(paths.dir, lockOptions(paths)))) return null
    return isProcessAlive(info.pid) ? info : null
  } catch (err) {
    throw await asStateFolderError(paths.dir, err)
  }
}

async function readOwnerFile(paths: StatePaths): Promise<OwnerInfo | null> {
  let text: string
  try {
    text = await readFile(paths.ownerFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    const parsed = ownerInfoSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    // Half-written by a tool other than ours (ours writes atomically): no one we can name.
    return null
  }
}

/** Signal 0 tests for existence without touching the process; EPERM means it exists under another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
