// What the service tells its listeners, and the one place that limits how often it tells progress.
// Every event gets the next revision of this run (the epoch); a change event carries the records that
// changed, the queue order when it moved, and the batch summary and counts computed from all records,
// so no view derives its own summary or asks again.
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type {
  BatchProgress,
  ModelRecord,
  ProgressTick,
  ServiceChange,
  ServiceEvent,
  StatusCounts,
} from '../../shared/service-contract'

/** Progress ticks at most this often: ≤ 10 messages per second whatever the number of jobs. */
export const TICK_MS = 100

export interface FeedSource {
  record(id: string): ModelRecord | undefined
  queue(): readonly string[]
  batch(): BatchProgress
  counts(): StatusCounts
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i])
}

export class ChangeFeed {
  readonly epoch = randomUUID()
  private revision = 0
  /** The queue order the last change event told: the next one carries it when it differs. */
  private toldQueue: readonly string[] = []
  /** Records whose bytes moved since the last tick. */
  private readonly moved = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private readonly emitter = new EventEmitter()

  constructor(
    private readonly source: FeedSource,
    /** After each tick: the progress file follows the same rhythm. */
    private readonly onTick: () => void,
    private readonly tickMs = TICK_MS,
  ) {
    this.emitter.setMaxListeners(0)
  }

  get position(): { epoch: string; revision: number } {
    return { epoch: this.epoch, revision: this.revision }
  }

  on(listener: (event: ServiceEvent) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }

  /** A record's bytes moved: told with the next tick. */
  progressed(id: string): void {
    this.moved.add(id)
    if (!this.timer) this.timer = setTimeout(() => this.tick(), this.tickMs)
  }

  /** Records changed (or were removed): told at once, after any progress of theirs still waiting. */
  changed(records: readonly ModelRecord[], removed: readonly string[] = []): void {
    if (records.length === 0 && removed.length === 0) return
    // A window then never sees a model's bytes after the change that ended its transfer, and a
    // transfer shorter than a tick still reports progress.
    if ([...records.map((r) => r.id), ...removed].some((id) => this.moved.has(id))) this.tick()
    const queue = this.source.queue()
    const moved = !sameOrder(this.toldQueue, queue)
    if (moved) this.toldQueue = [...queue]
    const change: Omit<ServiceChange, 'epoch' | 'revision'> = {
      records: records.map((r) => ({ ...r })),
      removed: [...removed],
      ...(moved ? { queue: [...queue] } : {}),
      batch: this.source.batch(),
      counts: this.source.counts(),
    }
    this.emit({ type: 'changed', data: { ...change, ...this.nextPosition() } })
  }

  /** Tells the waiting progress now (a snapshot is about to be taken, or a record changed). */
  tick(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.moved.size === 0) return
    const models: ProgressTick['models'] = []
    for (const id of this.moved) {
      const r = this.source.record(id)
      if (!r) continue
      const { phase, downloaded, totalSize, speedBps, etaSeconds } = r
      models.push({ id, ...(phase ? { phase } : {}), downloaded, totalSize, speedBps, etaSeconds })
    }
    this.moved.clear()
    this.emit({ type: 'progress', data: { models, batch: this.source.batch(), ...this.nextPosition() } })
    this.onTick()
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private nextPosition(): { epoch: string; revision: number } {
    this.revision++
    return this.position
  }

  private emit(event: ServiceEvent): void {
    this.emitter.emit('event', event)
  }
}
