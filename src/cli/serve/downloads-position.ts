// What a window that (re)connects to `modeldl serve` is told about the queue: where the owner's event
// stream stands, so its RevisionFollower can tell whether it missed something. The window fetches its
// own snapshot; this only spares it waiting for the next event to notice a drop or a new owner.
import type { EventChannel, EventContract } from '../../shared/api-contract'
import type { ServiceStatus } from '../../shared/service-contract'
import type { EventFrame } from '../../shared/ws-protocol'

type DownloadsFrame = Extract<EventFrame, { channel: 'downloads:changed' | 'downloads:progress' }>

export class DownloadsPosition {
  private last: DownloadsFrame | null = null

  /** Hand every backend event here: the last downloads event is kept. */
  observe<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    if (channel === 'downloads:changed' || channel === 'downloads:progress')
      this.last = { type: 'event', channel, payload } as DownloadsFrame
  }

  /**
   * The last event again, when it is the one at the owner's current revision: a window one revision
   * behind applies exactly what it missed, an up-to-date one ignores it, any other asks for a snapshot.
   * Before the owner's first event, an empty change at revision 0 (no window can be at -1 in that
   * epoch): a window of another epoch asks for a snapshot. Otherwise nothing that could be misapplied.
   */
  frames(status: Pick<ServiceStatus, 'epoch' | 'revision' | 'batch' | 'counts'>): EventFrame[] {
    const { epoch, revision } = status
    const last = this.last?.payload
    if (last && last.epoch === epoch && last.revision === revision) return [this.last!]
    if (revision !== 0) return []
    return [
      {
        type: 'event',
        channel: 'downloads:changed',
        payload: { epoch, revision, records: [], removed: [], batch: status.batch, counts: status.counts },
      },
    ]
  }
}
