import { randomBytes } from 'node:crypto'
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { ModelRecord, StateRecovery } from '../../../shared/service-contract'
import { writeFileAtomic } from '../../fs/atomic-write'
import { retryWhileBusy } from './busy-retry'
import type { LogFn } from './log'
import { ModelRecordSchema } from './record-schema'

export { rebuildFromDisk } from './rebuild-from-disk'

/** The queue and every record, as one file owned by the DownloadService. */
export interface PersistedState {
  version: 1
  /** Record ids in queue order. */
  queue: string[]
  records: ModelRecord[]
}

const PersistedStateSchema = z.object({
  version: z.literal(1),
  queue: z.array(z.string()),
  records: z.array(ModelRecordSchema),
})

/**
 * How load() got its state: `none` the file was good, `fresh` there was none, `backup` the file was
 * unreadable and the previous copy was used, `rebuilt` neither was usable and the state is empty (the
 * service then calls rebuildFromDisk to find partial downloads).
 */
export type Recovery = 'none' | 'backup' | 'rebuilt' | 'fresh'

export interface LoadResult {
  state: PersistedState
  recovered: Recovery
  /** What happened, for the user, when recovered is `backup` or `rebuilt`. */
  note?: string
  /** When recovered is `backup` or `rebuilt`: what was wrong with the file, and where it was kept. */
  damage?: StateDamage
  /** When recovered is `backup`: when that copy was written (its modification time, ISO). */
  backupTime?: string
}

export interface StateDamage {
  /** e.g. `not valid JSON`, `unexpected content at records.0.id: …`. */
  reason: string
  /** Where the damaged file was moved (`<path>.corrupt-<time>`); null if it could not be moved. */
  keptAt: string | null
  /** Set when `<path>.bak` existed but was damaged too. */
  backupReason?: string
}

export function emptyState(): PersistedState {
  return { version: 1, queue: [], records: [] }
}

export type ReadOutcome =
  | { kind: 'ok'; state: PersistedState }
  | { kind: 'missing' }
  /** `code`: the file could not be read at all (EACCES, ENOTDIR, …), as opposed to bad content. */
  | { kind: 'bad'; reason: string; code?: string }

/**
 * Atomic, backed-up, coalescing storage for PersistedState. At every moment one good copy is on disk:
 * the current file (replaced by rename, fsynced) or `<path>.bak` (the previous current file). A
 * damaged file is moved aside to `<path>.corrupt-<time>`, never deleted, and never makes load() throw.
 */
export class StateStore {
  readonly path: string
  readonly backupPath: string
  private readonly log: LogFn
  private pending: PersistedState | null = null
  private draining: Promise<void> | null = null
  /** The error of the latest write, until a write succeeds. */
  private lastError: unknown = null
  private madeDir = false

  constructor(path: string, options: { log?: LogFn } = {}) {
    this.path = path
    this.backupPath = `${path}.bak`
    this.log = options.log ?? (() => {})
  }

  /** Reads the state, recovering from damage. Records are returned as stored (`progress` included). */
  async load(): Promise<LoadResult> {
    const current = await this.read(this.path)
    if (current.kind === 'missing') return { state: emptyState(), recovered: 'fresh' }
    if (current.kind === 'ok') {
      await this.removeStaleTemps()
      return { state: current.state, recovered: 'none' }
    }

    const aside = await this.moveAside(this.path)
    const where = aside ? `moved it to ${aside}` : 'could not move it aside'
    this.log('error', `State file ${this.path} is unusable (${current.reason}); ${where}`)

    const backup = await this.read(this.backupPath)
    if (backup.kind === 'ok') {
      const backupTime = await stat(this.backupPath).then(
        (s) => s.mtime.toISOString(),
        () => undefined,
      )
      // Put the good copy back in place at once: a crash before the next save must not find no state.
      try {
        await this.write(backup.state, { keepBackup: false })
      } catch (err) {
        this.log('warn', `Could not restore ${this.path} from its backup: ${String(err)}`)
      }
      const note = `The state file was damaged (${current.reason}); ${where} and used the previous copy.`
      this.log('warn', `Recovered the state from ${this.backupPath}`)
      const damage: StateDamage = { reason: current.reason, keptAt: aside }
      return { state: backup.state, recovered: 'backup', note, damage, ...(backupTime ? { backupTime } : {}) }
    }

    let backupNote = 'there was no previous copy'
    if (backup.kind === 'bad') {
      const backupAside = await this.moveAside(this.backupPath)
      backupNote = `the previous copy was damaged too (${backup.reason})`
      this.log(
        'error',
        `State backup ${this.backupPath} is unusable (${backup.reason}); ` +
          (backupAside ? `moved it to ${backupAside}` : 'could not move it aside'),
      )
    }
    const note = `The state file was damaged (${current.reason}); ${where}, and ${backupNote}. Starting from the partial downloads found on disk.`
    const damage: StateDamage = {
      reason: current.reason,
      keptAt: aside,
      ...(backup.kind === 'bad' ? { backupReason: backup.reason } : {}),
    }
    return { state: emptyState(), recovered: 'rebuilt', note, damage }
  }

  /**
   * Schedules a write of `state`. At most one write runs at a time; states saved meanwhile collapse
   * into the latest. The state is serialized when its write starts, so passing live objects is fine.
   * Resolves once the latest state is on disk; rejects if that write failed (the next save retries).
   * Not awaiting it is safe: a failure is logged, never an unhandled rejection.
   */
  save(state: PersistedState): Promise<void> {
    this.pending = state
    if (!this.draining) {
      this.draining = this.drain()
      this.draining.catch(() => {})
    }
    return this.draining
  }

  /** Waits until everything saved so far is written; rejects while the latest write has failed. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining.catch(() => {})
    if (this.lastError) throw this.lastError
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const state = this.pending
        this.pending = null
        try {
          await this.write(state, { keepBackup: true })
          this.lastError = null
        } catch (err) {
          this.lastError = err
          this.log('error', `Could not save the state to ${this.path}: ${String(err)}`)
        }
      }
    } finally {
      this.draining = null
    }
    if (this.lastError) throw this.lastError
  }

  private async write(state: PersistedState, { keepBackup }: { keepBackup: boolean }): Promise<void> {
    const text = JSON.stringify(state)
    if (!this.madeDir) {
      await mkdir(dirname(this.path), { recursive: true })
      this.madeDir = true
    }
    if (keepBackup) await this.backUpCurrent()
    await retryWhileBusy(() => writeFileAtomic(this.path, text, { fsync: true }))
  }

  /**
   * Makes the current file the backup before it is replaced. A hard link costs no copy and keeps the
   * already-fsynced data; file systems without links (FAT, some shares) get a copy. Both go through a
   * temporary name so the old backup is only replaced by a complete one.
   */
  private async backUpCurrent(): Promise<void> {
    const tmp = `${this.backupPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      try {
        await link(this.path, tmp)
      } catch (err) {
        if (errCode(err) === 'ENOENT') return
        await copyFile(this.path, tmp)
      }
      await retryWhileBusy(() => rename(tmp, this.backupPath))
    } catch (err) {
      await rm(tmp, { force: true })
      if (errCode(err) === 'ENOENT') return
      throw err
    }
  }

  private read(path: string): Promise<ReadOutcome> {
    return readStateFile(path, this.log)
  }

  /** `<path>.corrupt-<time>`; null when even that failed (the file then stays where it is). */
  private async moveAside(path: string): Promise<string | null> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const target = `${path}.corrupt-${stamp}-${randomBytes(2).toString('hex')}`
    try {
      await retryWhileBusy(() => rename(path, target))
      return target
    } catch (err) {
      if (errCode(err) === 'ENOENT') return null
      this.log('error', `Could not move ${path} aside: ${String(err)}`)
      return null
    }
  }

  /**
   * Removes `<name>.tmp-<pid>-…` files (of this file and its backup) left by a process that died
   * mid-write. Another live process's temp file is left alone.
   */
  private async removeStaleTemps(): Promise<void> {
    const dir = dirname(this.path)
    const prefixes = [`${basename(this.path)}.tmp-`, `${basename(this.backupPath)}.tmp-`]
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names) {
      const prefix = prefixes.find((p) => name.startsWith(p))
      if (!prefix) continue
      const pid = Number(name.slice(prefix.length).split('-')[0])
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue
      await rm(join(dir, name), { force: true }).catch(() => {})
    }
  }
}

/**
 * Reads and checks a state file without changing anything on disk: what load() does first, and what a
 * read-only command does to tell a good file from one the owner must recover. `log` hears about
 * duplicate or dangling entries, which are dropped (that is not damage).
 */
export async function readStateFile(path: string, log: LogFn = () => {}): Promise<ReadOutcome> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = errCode(err)
    if (code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'bad', reason: `cannot read it: ${code ?? String(err)}`, ...(code ? { code } : {}) }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'bad', reason: text.trim() === '' ? 'empty file' : 'not valid JSON' }
  }
  const version = (json as { version?: unknown } | null)?.version
  if (typeof version === 'number' && version > 1) {
    return { kind: 'bad', reason: `written by a newer version of the app (format ${version})` }
  }
  const parsed = PersistedStateSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    return { kind: 'bad', reason: `unexpected content${at}: ${issue?.message ?? 'invalid'}` }
  }
  return { kind: 'ok', state: tidy(parsed.data, path, log) }
}

/** Duplicate ids (last one wins) and queue entries without a record are dropped, not fatal. */
function tidy(state: PersistedState, path: string, log: LogFn): PersistedState {
  const byId = new Map<string, ModelRecord>()
  for (const record of state.records) byId.set(record.id, record)
  const queue = [...new Set(state.queue)].filter((id) => byId.has(id))
  if (byId.size !== state.records.length || queue.length !== state.queue.length) {
    log('warn', `State file ${path} had duplicate or dangling entries; ignored them`)
  }
  return { version: 1, queue, records: [...byId.values()] }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errCode(err) === 'EPERM'
  }
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

/**
 * What an owner tells its users after load() had to recover: undefined when the file was good or
 * absent. `rebuilt` is how many records rebuildFromDisk found (for `recovered: 'rebuilt'`).
 */
export function describeRecovery(
  loaded: LoadResult,
  path: string,
  rebuilt = 0,
  now = new Date(),
): StateRecovery | undefined {
  if (loaded.recovered !== 'backup' && loaded.recovered !== 'rebuilt') return undefined
  const reason = loaded.damage?.reason ?? 'damaged'
  const keptAt = loaded.damage?.keptAt ?? null
  const kept = keptAt
    ? `The damaged file is kept at ${keptAt}.`
    : `The damaged file could not be moved aside.`
  const base = { reason, keptAt, at: now.toISOString() }
  if (loaded.recovered === 'backup') {
    const time = loaded.backupTime
    const saved = time ? ` (saved ${time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})` : ''
    return {
      ...base,
      from: 'backup',
      ...(time ? { backupTime: time } : {}),
      message: `${path} was damaged (${reason}); restored the queue from ${basename(path)}.bak${saved}.\n${kept}`,
    }
  }
  const noBackup = loaded.damage?.backupReason
    ? `its backup was damaged too (${loaded.damage.backupReason})`
    : 'there was no backup'
  if (rebuilt > 0) {
    const what = rebuilt === 1 ? '1 paused download' : `${rebuilt} paused downloads`
    return {
      ...base,
      from: 'sidecars',
      rebuilt,
      message:
        `${path} was damaged (${reason}) and ${noBackup}; rebuilt the queue from the .part.json ` +
        `files in the models folders: ${what}.\n${kept}`,
    }
  }
  return {
    ...base,
    from: 'empty',
    message:
      `${path} was damaged (${reason}); ${noBackup} and no .part.json file of a partial download ` +
      `was found, so the queue starts empty.\n${kept}`,
  }
}
