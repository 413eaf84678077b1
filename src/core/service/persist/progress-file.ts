import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import type { ModelRecord, ModelStatus } from '../../../shared/service-contract'
import { verifiedByOf } from '../../../shared/verification'
import { writeFileAtomic } from '../../fs/atomic-write'
import { retryWhileBusy } from './busy-retry'
import type { LogFn } from './log'

/** One model in the old system's progress file (the seed's PROGRESS TRACKING schema, plus `paused`). */
export interface ProgressEntry {
  totalSize: number
  localPath: string
  downloaded: number
  status: ModelStatus
  /** ISO 8601. */
  lastUpdated: string
  /**
   * Completed entries only: how the file was checked ("sha256 from config", "MD5 ETag", … or "size
   * only"). An addition to the seed's schema, whose readers ignore fields they do not know.
   */
  verifiedBy?: string[]
  /** Another machine on the shared volume fetches (or fetched) it. */
  fetchedBy?: string
}

/** `{ [group]: { [modelName]: ProgressEntry } }` */
export type ProgressFile = Record<string, Record<string, ProgressEntry>>

const ProgressEntrySchema = z.object({
  totalSize: z.number(),
  localPath: z.string(),
  downloaded: z.number(),
  status: z.enum(['queued', 'progress', 'paused', 'completed', 'failed', 'cancelled']),
  lastUpdated: z.string(),
  verifiedBy: z.array(z.string()).optional(),
  fetchedBy: z.string().optional(),
})
const ProgressFileSchema = z.record(z.string(), z.record(z.string(), ProgressEntrySchema))

/**
 * The progress file's content for these records, grouped by group then model name.
 *
 * Two different files with the same group and model name (rare: the same name under two roots) both
 * stay visible: the one added first keeps the plain name, later ones become `name (2)`, `name (3)`, …
 * (skipping names already taken). Ranking by createdAt, then path, keeps each key stable while the
 * queue is reordered. Built with Object.fromEntries so a group called `__proto__` is just a key.
 */
export function progressFileContent(records: readonly ModelRecord[]): ProgressFile {
  const groups = new Map<string, ModelRecord[]>()
  for (const record of records) {
    const list = groups.get(record.group)
    if (list) list.push(record)
    else groups.set(record.group, [record])
  }
  const out: Array<[string, Record<string, ProgressEntry>]> = []
  for (const [group, members] of groups) {
    const names = keysFor(members)
    const entries = members.map((r): [string, ProgressEntry] => [
      names.get(r)!,
      {
        totalSize: r.totalSize || r.expectedSize,
        localPath: r.localPath,
        downloaded: r.downloaded,
        status: r.status,
        lastUpdated: r.lastUpdated,
        ...(r.status === 'completed' ? { verifiedBy: verifiedByOf(r) } : {}),
        ...(r.fetchedBy ? { fetchedBy: r.fetchedBy } : {}),
      },
    ])
    out.push([group, Object.fromEntries(entries)])
  }
  return Object.fromEntries(out)
}

function keysFor(members: readonly ModelRecord[]): Map<ModelRecord, string> {
  const keys = new Map<ModelRecord, string>()
  const byName = new Map<string, ModelRecord[]>()
  for (const r of members) {
    const list = byName.get(r.modelName)
    if (list) list.push(r)
    else byName.set(r.modelName, [r])
  }
  const taken = new Set(byName.keys())
  for (const [name, same] of byName) {
    const ranked = [...same].sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.localPath.localeCompare(b.localPath),
    )
    ranked.forEach((r, i) => {
      if (i === 0) {
        keys.set(r, name)
        return
      }
      let n = i + 1
      while (taken.has(`${name} (${n})`)) n++
      taken.add(`${name} (${n})`)
      keys.set(r, `${name} (${n})`)
    })
  }
  return keys
}

/** The progress file, or null when there is none; throws with the path when it is not one. */
export async function readProgressFile(path: string): Promise<ProgressFile | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${path} is not valid JSON`)
  }
  const parsed = ProgressFileSchema.safeParse(json)
  if (!parsed.success) throw new Error(`${path} is not a progress file: ${z.prettifyError(parsed.error)}`)
  return parsed.data
}

export interface ProgressFileOptions {
  /** At most one write per this many milliseconds; the last update is always written. */
  minIntervalMs?: number
  log?: LogFn
}

/**
 * Keeps the progress file in step with the records for readers outside the app. Writes replace the
 * file atomically (readers never see half of it) and are throttled: the first update is written at
 * once, later ones at most every minIntervalMs, and the latest always lands (its timer keeps the
 * process alive for at most one interval; call flush() before exiting to write it at once). Not
 * fsynced: this file is a view of the state, rebuilt from it on the next start.
 */
export class ProgressFileWriter {
  readonly path: string
  private readonly minIntervalMs: number
  private readonly log: LogFn
  private latest: readonly ModelRecord[] | null = null
  private dirty = false
  private writing: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private lastWriteAt = -Infinity
  private madeDir = false
  private failed = false
  private written = 0

  constructor(path: string, options: ProgressFileOptions = {}) {
    this.path = path
    this.minIntervalMs = options.minIntervalMs ?? 250
    this.log = options.log ?? (() => {})
  }

  /** Completed writes so far (for tests and diagnostics). */
  get writes(): number {
    return this.written
  }

  /** Records the latest records; the array is read when the write happens, not now. */
  update(records: readonly ModelRecord[]): void {
    this.latest = records
    this.dirty = true
    // After a failed write, wait for the next update rather than retrying in a loop.
    this.failed = false
    this.schedule()
  }

  /** Writes any pending update now and waits for it; rejects if that write failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    while (this.writing || this.dirty) {
      if (this.writing) await this.writing
      else await this.writeNow(true)
    }
  }

  private schedule(): void {
    if (this.writing || this.timer || !this.dirty || this.failed) return
    const wait = this.lastWriteAt + this.minIntervalMs - Date.now()
    if (wait <= 0) {
      void this.writeNow(false)
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      void this.writeNow(false)
    }, wait)
  }

  /** One write of the latest records; `rethrow` for flush(), otherwise failures are only logged. */
  private writeNow(rethrow: boolean): Promise<void> {
    this.dirty = false
    this.lastWriteAt = Date.now()
    const text = `${JSON.stringify(progressFileContent(this.latest ?? []), null, 2)}\n`
    const run = (async () => {
      try {
        if (!this.madeDir) {
          await mkdir(dirname(this.path), { recursive: true })
          this.madeDir = true
        }
        await retryWhileBusy(() => writeFileAtomic(this.path, text))
        this.written++
      } catch (err) {
        // Keep the content pending: the next update or flush() tries again.
        this.dirty = true
        this.failed = true
        this.madeDir = false
        this.log('warn', `Could not write the progress file ${this.path}: ${String(err)}`)
        if (rethrow) throw err
      } finally {
        this.writing = null
        this.schedule()
      }
    })()
    this.writing = run.catch(() => {})
    return run
  }
}
