// What a window that (re)connects to `modeldl serve` is told about the queue: where the owner's event
// stream stands, so its RevisionFollower can tell whether it missed something. The window fetches its
// own snapshot; this only spares it waiting for the next event to notice a drop or a new owner.
import type { EventChannel, EventContract } from '../../shared/api-contract'
import type { ServiceStatus } from '../../shared/service-contract'
import { eventFrame, type EventFrame } from '../../shared/ws-protocol'

export class DownloadsPosition {
  private last:
    | { channel: 'downloads:changed'; payload: EventContract['downloads:changed'] }
    | { channel: 'downloads:progress'; payload: EventContract['downloads:progress'] }
    | null = null

  /** Hand every backend event here: the last downloads event is kept. */
  observe<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    if (channel === 'downloads:changed' || channel === 'downloads:progress')
      this.last = { channel, payload } as NonNullable<typeof this.last>
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
    if (last && last.epoch === epoch && last.revision === revision) {
      const { channel, payload } = this.last!
      return [channel === 'downloads:changed' ? eventFrame(channel, payload) : eventFrame(channel, payload)]
    }
    if (revision !== 0) return []
    return [
      eventFrame('downloads:changed', {
        epoch,
        revision,
        records: [],
        removed: [],
        batch: status.batch,
        counts: status.counts,
      }),
    ]
  }
}
