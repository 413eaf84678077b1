// The one way a view follows the service's events: it starts from a snapshot, applies each event whose
// revision is the next one, and asks for a new snapshot when it sees a gap or another owner's epoch.
// Used by the window's store, the desktop shell (tray, taskbar) and `download --wait`: none of them
// polls, and none can drift from the owner's state for longer than one round trip.
import type { ProgressTick, ServiceChange, ServiceEvent, ServiceSnapshot } from './service-contract'

export interface FollowerHandlers {
  snapshot(snapshot: ServiceSnapshot): void
  changed(change: ServiceChange): void
  progress(tick: ProgressTick): void
  /** Asks the owner for a snapshot (over whatever transport the view uses). */
  fetchSnapshot(): Promise<ServiceSnapshot>
  /** A snapshot could not be fetched; the next event tries again. */
  failed?(error: unknown): void
}

export class RevisionFollower {
  private epoch: string | null = null
  private revision = -1
  /** Events that arrived while a snapshot was on its way: applied after it, if newer. */
  private pending: ServiceEvent[] = []
  private fetching: Promise<void> | null = null
  private stopped = false

  constructor(private readonly handlers: FollowerHandlers) {}

  /** Fetches the first snapshot; events pushed meanwhile are kept and applied after it. */
  start(): Promise<void> {
    return this.resync()
  }

  /** Whether a snapshot has been applied (the view has something true to show). */
  get ready(): boolean {
    return this.epoch !== null
  }

  get position(): { epoch: string | null; revision: number } {
    return { epoch: this.epoch, revision: this.revision }
  }

  push(event: ServiceEvent): void {
    if (this.stopped) return
    if (this.fetching) {
      this.pending.push(event)
      return
    }
    const { epoch, revision } = event.data
    if (epoch === this.epoch && revision <= this.revision) return // already in what we have
    if (epoch !== this.epoch || revision !== this.revision + 1) {
      this.pending.push(event)
      void this.resync()
      return
    }
    this.apply(event)
  }

  /** Asks for a snapshot now (the transport reconnected, or the owner changed). */
  resync(): Promise<void> {
    if (this.fetching) return this.fetching
    this.fetching = this.handlers.fetchSnapshot().then(
      (snapshot) => {
        this.fetching = null
        if (this.stopped) return
        this.epoch = snapshot.epoch
        this.revision = snapshot.revision
        this.handlers.snapshot(snapshot)
        const queued = this.pending
        this.pending = []
        this.replay(queued)
      },
      (err: unknown) => {
        this.fetching = null
        // Nothing to apply the waiting events to: the next event starts over.
        this.epoch = null
        this.pending = []
        this.handlers.failed?.(err)
      },
    )
    return this.fetching
  }

  stop(): void {
    this.stopped = true
    this.pending = []
  }

  /**
   * Events that waited for the snapshot: those of its epoch that follow it are applied; at the first
   * gap (or another epoch) the rest are dropped and the next live event asks again. Asking again here
   * could loop forever when the snapshot is older than a waiting event.
   */
  private replay(events: readonly ServiceEvent[]): void {
    for (const event of events) {
      const { epoch, revision } = event.data
      if (epoch !== this.epoch || revision <= this.revision) continue
      if (revision !== this.revision + 1) return
      this.apply(event)
    }
  }

  private apply(event: ServiceEvent): void {
    this.revision = event.data.revision
    if (event.type === 'changed') this.handlers.changed(event.data)
    else this.handlers.progress(event.data)
  }
}
