import type { BatchProgress, ServiceEvent, ServiceSnapshot } from '../../shared/service-contract'
import { RevisionFollower } from '../../shared/revision-follower'
import type { StatusCounts } from './tray-menu'

export interface ShellState {
  batch: BatchProgress | null
  /** Null until the first snapshot or change event arrives (progress ticks carry no counts). */
  counts: StatusCounts | null
}

/**
 * Keeps what the tray and the taskbar show current from the service's events alone: every change
 * carries the batch summary and the counts, every progress tick the batch. A snapshot is asked for
 * only to start and after a missed revision or an owner change (RevisionFollower); nothing polls.
 */
export class ShellStateMonitor {
  private state: ShellState = { batch: null, counts: null }
  private readonly follower: RevisionFollower

  constructor(
    snapshot: () => Promise<ServiceSnapshot>,
    private readonly onState: (state: ShellState) => void,
  ) {
    this.follower = new RevisionFollower({
      snapshot: ({ batch, counts }) => this.set({ batch, counts }),
      changed: ({ batch, counts }) => this.set({ batch, counts }),
      progress: ({ batch }) => this.set({ ...this.state, batch }),
      fetchSnapshot: snapshot,
      // The service is away (restarting, or another owner went): the next event asks again.
      failed: () => {},
    })
  }

  /** Fetches the first snapshot; events pushed meanwhile are applied after it. */
  start(): Promise<void> {
    return this.follower.start()
  }

  push(event: ServiceEvent): void {
    this.follower.push(event)
  }

  dispose(): void {
    this.follower.stop()
  }

  private set(state: ShellState): void {
    this.state = state
    this.onState(state)
  }
}
