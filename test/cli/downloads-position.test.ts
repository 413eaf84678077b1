// The greeting a window gets from `modeldl serve` when it (re)connects: driven into a real
// RevisionFollower, it must never make a window apply something wrong, and must make a window that
// missed events (or belongs to an old owner) fetch a snapshot without waiting for the next event.
import { describe, expect, it, vi } from 'vitest'
import { DownloadsPosition } from '../../src/cli/serve/downloads-position'
import { RevisionFollower } from '../../src/shared/revision-follower'
import type {
  ProgressTick,
  ServiceChange,
  ServiceEvent,
  ServiceSnapshot,
} from '../../src/shared/service-contract'
import type { EventFrame } from '../../src/shared/ws-protocol'
import {
  batchProgress,
  modelRecord,
  serviceChange,
  serviceSnapshot,
  statusCounts,
} from '../main/support/records'

const settle = () => new Promise((r) => setTimeout(r, 0))

/**
 * A follower that has applied everything up to `revision` of `epoch`; from then on the owner's snapshot
 * stands at `owner` (where the greeting says it is).
 */
async function followerAt(epoch: string, revision: number, owner = { epoch, revision }) {
  const applied: ServiceChange[] = []
  const fetchSnapshot = vi.fn(async (): Promise<ServiceSnapshot> => serviceSnapshot({ epoch, revision }))
  const follower = new RevisionFollower({
    snapshot: () => {},
    changed: (c) => applied.push(c),
    progress: () => {},
    fetchSnapshot,
  })
  await follower.start()
  fetchSnapshot.mockClear()
  fetchSnapshot.mockResolvedValue(serviceSnapshot(owner))
  return { follower, applied, fetchSnapshot }
}

const status = (epoch: string, revision: number) => ({
  epoch,
  revision,
  batch: batchProgress(),
  counts: statusCounts(),
})

const asEvent = (frame: EventFrame): ServiceEvent =>
  frame.event === 'downloads:progress'
    ? { type: 'progress', data: frame.data as ProgressTick }
    : { type: 'changed', data: frame.data as ServiceChange }

describe('DownloadsPosition', () => {
  const completed = serviceChange([modelRecord({ id: '/m/a', status: 'completed' })], {
    epoch: 'e1',
    revision: 7,
  })
  const position = new DownloadsPosition()
  position.observe('settings:changed', {} as never)
  position.observe('downloads:changed', completed)

  it('replays the last event: one revision behind applies it, up to date ignores it, further behind resyncs', async () => {
    const [frame] = position.frames(status('e1', 7))
    expect(frame).toEqual({ event: 'downloads:changed', data: completed })

    const behind = await followerAt('e1', 6)
    behind.follower.push(asEvent(frame!))
    expect(behind.applied).toEqual([completed])
    expect(behind.fetchSnapshot).not.toHaveBeenCalled()

    const current = await followerAt('e1', 7)
    current.follower.push(asEvent(frame!))
    expect(current.applied).toEqual([])
    expect(current.fetchSnapshot).not.toHaveBeenCalled()

    const far = await followerAt('e1', 3, { epoch: 'e1', revision: 7 })
    far.follower.push(asEvent(frame!))
    await settle()
    expect(far.applied).toEqual([])
    expect(far.fetchSnapshot).toHaveBeenCalledOnce()
  })

  it('says nothing when the event at the owner’s revision is not the one it kept', () => {
    expect(position.frames(status('e1', 8))).toEqual([])
    expect(position.frames(status('e2', 7))).toEqual([])
  })

  it('before a new owner’s first event: an empty change at revision 0 makes an old owner’s window resync', async () => {
    const frames = new DownloadsPosition().frames(status('e2', 0))
    expect(frames).toHaveLength(1)
    const old = await followerAt('e1', 40, { epoch: 'e2', revision: 0 })
    old.follower.push(asEvent(frames[0]!))
    await settle()
    expect(old.fetchSnapshot).toHaveBeenCalledOnce()
    expect(old.applied).toEqual([])
    // A window already on that owner, at revision 0, has nothing to do.
    const fresh = await followerAt('e2', 0)
    fresh.follower.push(asEvent(frames[0]!))
    expect(fresh.fetchSnapshot).not.toHaveBeenCalled()
    expect(fresh.applied).toEqual([])
  })
})
