// The queue's records and order, changed only through the state machine (queue-machine.ts), and the
// effects its transitions ask for: stopping jobs, removing partial files, retry timers, queue order,
// links. Changes made in one synchronous run go out as one change event.
import { EventEmitter } from 'node:events'
import {
  ACTIVE_STATUSES,
  SIZE_ONLY,
  type ModelRecord,
  type MovePosition,
} from '../../shared/service-contract'
import type { TransferProgress, TransferResult } from '../../shared/transfer'
import { describeVerification } from '../../shared/verification'
import { TransferError, TransferStopped } from '../transfer/errors'
import type { ClaimingRunner } from './claiming-runner'
import { next, type Effect, type QueueEvent } from './queue-machine'
import type { ServiceSettings } from './run-settings'

const AUTO_RETRY_DELAY_MS = 2_000

export interface QueueCoreDeps {
  settings: () => ServiceSettings
  runner: () => ClaimingRunner
  /** Removes a `.part` no job is writing (checked against the roots and other machines' claims). */
  discardPart: (localPath: string) => Promise<void>
  /** Tells and saves a change: the records that changed and the ids removed. */
  publish: (records: ModelRecord[], removed: string[]) => void
  settleLink: (link: ModelRecord) => Promise<void>
  /** Starts what can start (a slot or a retry came free). */
  pump: () => void
  log?: { info(m: string): void; warn(m: string): void; error(m: string): void }
}

export class QueueCore {
  readonly records = new Map<string, ModelRecord>()
  /** Ids in queue order (queued, running and paused records). */
  queue: string[] = []
  /** Ids with a job in flight, from start until the worker has answered. */
  readonly running = new Set<string>()
  private readonly retryTimers = new Map<string, NodeJS.Timeout>()
  private readonly discards = new Set<Promise<void>>()
  private readonly changed = new Set<ModelRecord>()
  private readonly removed = new Set<string>()
  private publishQueued = false
  private readonly settled = new EventEmitter()

  constructor(private readonly deps: QueueCoreDeps) {
    this.settled.setMaxListeners(0)
  }

  get retrying(): boolean {
    return this.retryTimers.size > 0
  }

  restore(records: readonly ModelRecord[], savedQueue: readonly string[]): void {
    for (const r of records) this.records.set(r.id, r)
    const active = (id: string) => ACTIVE_STATUSES.includes(this.records.get(id)?.status ?? 'completed')
    const known = new Set(savedQueue)
    this.queue = savedQueue.filter(active)
    for (const r of records) if (active(r.id) && !known.has(r.id)) this.queue.push(r.id)
  }

  /** A new record (it replaces an ended one of the same path). */
  add(record: ModelRecord): void {
    this.records.set(record.id, record)
    this.queue = this.queue.filter((q) => q !== record.id)
    if (record.status === 'queued') this.queue.push(record.id)
    this.mark(record)
  }

  /** Runs one event through the state machine; false when it does not apply in the record's state. */
  apply(r: ModelRecord, event: QueueEvent): boolean {
    const t = next(r, event, {
      now: new Date().toISOString(),
      maxAutoRetries: this.deps.settings().maxAutoRetries,
      retryDelayMs: AUTO_RETRY_DELAY_MS,
    })
    if (!t) return false
    for (const [k, v] of Object.entries(t.patch)) {
      if (v === undefined) delete (r as unknown as Record<string, unknown>)[k]
      else (r as unknown as Record<string, unknown>)[k] = v
    }
    r.lastUpdated = new Date().toISOString()
    this.mark(r)
    for (const effect of t.effects) this.effect(r, effect)
    return true
  }

  /** A worker's progress report; false when the record no longer runs (a late report). */
  progress(p: TransferProgress): boolean {
    const r = this.records.get(p.id)
    if (!r || r.status !== 'progress') return false
    r.downloaded = p.bytesDone
    r.totalSize = p.totalBytes
    r.speedBps = p.speedBps
    r.etaSeconds = p.etaSeconds
    if (r.phase !== p.phase) r.phase = p.phase
    if (r.fetchedBy !== p.fetchedBy) {
      // Following another machine (or no longer): a change a view shows in words, not only bytes.
      if (p.fetchedBy) r.fetchedBy = p.fetchedBy
      else delete r.fetchedBy
      this.mark(r)
    }
    r.lastUpdated = new Date().toISOString()
    return true
  }

  /** The disk holds another number of partial bytes than the record says. */
  correctBytes(r: ModelRecord, bytes: number): void {
    r.downloaded = bytes
    r.lastUpdated = new Date().toISOString()
    this.mark(r)
  }

  startable(r: ModelRecord): boolean {
    return r.status === 'queued' && !r.linkTo && !this.running.has(r.id) && !this.retryTimers.has(r.id)
  }

  /** Follows a started job to its end: its result is one more event for the machine. */
  track(id: string, job: Promise<TransferResult>): void {
    this.running.add(id)
    job
      .then(
        (result) => this.finished(id, result),
        (err: unknown) => this.stopped(id, err),
      )
      .catch((err: unknown) => this.deps.log?.error(`Finishing ${id} failed: ${String(err)}`))
      .finally(() => {
        this.running.delete(id)
        this.settled.emit('settled')
        this.publish()
        this.deps.pump()
      })
  }

  /** Running downloads go back to the queue with their `.part` kept (stopWorker, close). */
  requeueRunning(): void {
    for (const id of this.running) {
      const r = this.records.get(id)
      if (r) this.apply(r, { type: 'requeue' })
    }
    this.publish()
  }

  move(id: string, where: MovePosition): boolean {
    const index = this.queue.indexOf(id)
    if (index < 0) return false
    const q = this.queue.filter((x) => x !== id)
    const to = { top: 0, bottom: q.length, up: Math.max(0, index - 1), down: Math.min(q.length, index + 1) }[
      where
    ]
    q.splice(to, 0, id)
    this.queue = q
    this.mark(this.records.get(id)!)
    this.publish()
    return true
  }

  /** Sends what changed since the last call as one event (also done at the end of each tick of work). */
  publish(): void {
    this.publishQueued = false
    if (this.changed.size === 0 && this.removed.size === 0) return
    const records = [...this.changed].filter((r) => this.records.get(r.id) === r)
    const removed = [...this.removed]
    this.changed.clear()
    this.removed.clear()
    this.deps.publish(records, removed)
  }

  /** Resolves once the partial files of cancelled downloads that were not running are gone. */
  async discarded(): Promise<void> {
    await Promise.all(this.discards)
  }

  async waitIdle(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => this.settled.once('settled', r))
  }

  dispose(): void {
    for (const t of this.retryTimers.values()) clearTimeout(t)
    this.retryTimers.clear()
  }

  private mark(r: ModelRecord): void {
    this.changed.add(r)
    // Whatever a caller forgets to publish still goes out, after the synchronous run that changed it.
    if (!this.publishQueued) {
      this.publishQueued = true
      queueMicrotask(() => {
        if (this.publishQueued) this.publish()
      })
    }
  }

  private finished(id: string, result: TransferResult): void {
    const r = this.records.get(id)
    if (!r) return
    const verifiedBy = result.followed
      ? result.followed.verifiedBy
      : result.verified.map(describeVerification)
    this.apply(r, {
      type: 'verified',
      etag: result.etag,
      ...(result.lastModified ? { objectLastModified: result.lastModified } : {}),
      ...(result.followed ? { fetchedBy: result.followed.host } : {}),
      verifiedBy: verifiedBy.length > 0 ? verifiedBy : [SIZE_ONLY],
    })
    if (r.status !== 'completed') return
    const by = result.followed ? ` fetched by ${result.followed.host}` : ''
    if (verifiedBy.length > 0)
      this.deps.log?.info(`Completed ${r.localPath}${by} (${r.verifiedBy!.join(', ')})`)
    else if (result.followed)
      this.deps.log?.warn(
        `Completed ${r.localPath}${by}, checked by size only: how that machine verified it was not seen here`,
      )
    else
      this.deps.log?.warn(
        `Completed ${r.localPath} checked by size only: the store gave no checksum and its ETag is not ` +
          'an MD5; add a sha256 to the config entry to verify the bytes',
      )
  }

  private stopped(id: string, err: unknown): void {
    const r = this.records.get(id)
    if (!r) return
    if (err instanceof TransferStopped) {
      this.apply(r, { type: 'stopped' })
      return
    }
    const code = err instanceof TransferError ? err.code : 'internal'
    const message = err instanceof Error ? err.message : String(err)
    const retryable = err instanceof TransferError ? err.retryable : true
    if (!this.apply(r, { type: 'failed', code, message, retryable })) return
    if (r.status === 'failed') this.deps.log?.error(`Failed ${r.localPath}: [${code}] ${message}`)
    else
      this.deps.log?.warn(
        `${r.localPath}: ${message}; automatic retry ${r.autoRetries} in ` +
          `${(AUTO_RETRY_DELAY_MS * 2 ** (r.autoRetries - 1)) / 1000} s`,
      )
  }

  private effect(r: ModelRecord, effect: Effect): void {
    switch (effect.kind) {
      case 'stop-job':
        if (this.running.has(r.id)) this.deps.runner().pause(r.id)
        return
      case 'discard':
        // A running job removes its own `.part` when it stops; otherwise it is removed here.
        if (this.running.has(r.id)) this.deps.runner().cancel(r.id)
        else this.trackDiscard(this.deps.discardPart(r.localPath))
        return
      case 'schedule-retry': {
        this.clearRetry(r.id)
        const timer = setTimeout(() => {
          this.retryTimers.delete(r.id)
          this.deps.pump()
        }, effect.delayMs)
        this.retryTimers.set(r.id, timer)
        return
      }
      case 'clear-retry':
        this.clearRetry(r.id)
        return
      case 'leave-queue':
        this.queue = this.queue.filter((id) => id !== r.id)
        return
      case 'join-queue':
        if (!this.queue.includes(r.id)) this.queue.push(r.id)
        return
      case 'settle-links':
        for (const other of this.waitingLinks(r)) void this.deps.settleLink(other)
        return
      case 'fail-links':
        for (const other of this.waitingLinks(r)) {
          this.apply(other, {
            type: 'link-failed',
            code: 'link_target_failed',
            message: `Its target ${r.localPath} failed: ${effect.message}`,
          })
        }
        return
      case 'forget':
        this.records.delete(r.id)
        this.queue = this.queue.filter((id) => id !== r.id)
        this.changed.delete(r)
        this.removed.add(r.id)
        return
    }
  }

  private waitingLinks(target: ModelRecord): ModelRecord[] {
    return [...this.records.values()].filter((o) => o.linkTo === target.localPath && o.status === 'queued')
  }

  private trackDiscard(p: Promise<void>): void {
    const tracked: Promise<void> = p.catch(() => undefined).finally(() => this.discards.delete(tracked))
    this.discards.add(tracked)
  }

  private clearRetry(id: string): void {
    const t = this.retryTimers.get(id)
    if (t) clearTimeout(t)
    this.retryTimers.delete(id)
  }
}
