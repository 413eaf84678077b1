import type { ProgressTick } from '../../shared/service-contract'

type ModelProgress = ProgressTick['models'][number]

/**
 * Coalesces progress ticks so a window gets at most one per `intervalMs` (10 per second by default),
 * however many jobs run and however the ticks arrive (the service ticks at that rate already, but a
 * socket client may deliver several at once after a stall). Within a window the latest figures of each
 * model win, and the batch summary is the latest one.
 */
export class ProgressThrottle {
  private pending = new Map<string, ModelProgress>()
  /** The latest tick's batch summary, epoch and revision. */
  private batch: Omit<ProgressTick, 'models'> | null = null
  private timer: NodeJS.Timeout | null = null
  private lastSentAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly send: (tick: ProgressTick) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(tick: ProgressTick): void {
    for (const m of tick.models) this.pending.set(m.id, m)
    this.batch = { batch: tick.batch, epoch: tick.epoch, revision: tick.revision }
    if (this.timer) return
    const wait = this.lastSentAt + this.intervalMs - this.now()
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => this.flush(), wait)
  }

  /**
   * A newer full record of these models went out on another channel: figures still waiting here are
   * older than it and must not arrive after it (a late "progress" over a "completed").
   */
  supersede(ids: Iterable<string>): void {
    for (const id of ids) this.pending.delete(id)
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.pending.clear()
    this.batch = null
  }

  private flush(): void {
    this.timer = null
    if (!this.batch) return
    const tick: ProgressTick = { ...this.batch, models: [...this.pending.values()] }
    this.pending = new Map()
    this.batch = null
    this.lastSentAt = this.now()
    this.send(tick)
  }
}
