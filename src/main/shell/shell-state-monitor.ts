import type { BatchProgress, ProgressTick, ServiceStatus } from '../../shared/service-contract'
import type { StatusCounts } from './tray-menu'

export interface ShellState {
  batch: BatchProgress | null
  /** Null until the first status arrives (progress ticks carry no counts). */
  counts: StatusCounts | null
}

/**
 * Keeps what the tray and the taskbar show current. Progress ticks carry the batch summary while bytes
 * move; status changes (a model ends, the queue is paused) come as change events without it, so those
 * ask the service for its status, at most once per `refreshMs`.
 */
export class ShellStateMonitor {
  private state: ShellState = { batch: null, counts: null }
  private refreshTimer: NodeJS.Timeout | null = null
  private disposed = false

  constructor(
    private readonly status: () => Promise<Pick<ServiceStatus, 'batch' | 'counts'>>,
    private readonly onState: (state: ShellState) => void,
    private readonly refreshMs = 300,
  ) {}

  onProgress(tick: ProgressTick): void {
    this.state = { ...this.state, batch: tick.batch }
    this.onState(this.state)
  }

  /** Something changed that a tick does not describe: refresh soon. */
  onChanged(): void {
    if (this.refreshTimer || this.disposed) return
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null
      void this.refresh()
    }, this.refreshMs)
  }

  async refresh(): Promise<void> {
    try {
      const { batch, counts } = await this.status()
      if (this.disposed) return
      this.state = { batch, counts }
      this.onState(this.state)
    } catch {
      // The service is away (restarting, or another owner went): the next change refreshes again.
    }
  }

  dispose(): void {
    this.disposed = true
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
  }
}
