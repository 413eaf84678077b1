import { randomBytes } from 'node:crypto'
import { copyFile, link, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { ModelRecord } from '../../../shared/service-contract'
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
}

export function emptyState(): PersistedState {
  return { version: 1, queue: [], records: [] }
}

type ReadOutcome =
  { kind: 'ok'; state: PersistedState } | { kind: 'missing' } | { kind: 'bad'; reason: string }

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
      // Put the good copy back in place at once: a crash before the next save must not find no state.
      try {
        await this.write(backup.state, { keepBackup: false })
      } catch (err) {
        this.log('warn', `Could not restore ${this.path} from its backup: ${String(err)}`)
      }
      const note = `The state file was damaged (${current.reason}); ${where} and used the previous copy.`
      this.log('warn', `Recovered the state from ${this.backupPath}`)
      return { state: backup.state, recovered: 'backup', note }
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
    return { state: emptyState(), recovered: 'rebuilt', note }
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

  private async read(path: string): Promise<ReadOutcome> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if (errCode(err) === 'ENOENT') return { kind: 'missing' }
      return { kind: 'bad', reason: `cannot read it: ${errCode(err) ?? String(err)}` }
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
    return { kind: 'ok', state: this.tidy(parsed.data) }
  }

  /** Duplicate ids (last one wins) and queue entries without a record are dropped, not fatal. */
  private tidy(state: PersistedState): PersistedState {
    const byId = new Map<string, ModelRecord>()
    for (const record of state.records) byId.set(record.id, record)
    const queue = [...new Set(state.queue)].filter((id) => byId.has(id))
    if (byId.size !== state.records.length || queue.length !== state.queue.length) {
      this.log('warn', `State file ${this.path} had duplicate or dangling entries; ignored them`)
    }
    return { version: 1, queue, records: [...byId.values()] }
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
