// Follows some models of the queue through the owner's events, for `download --wait`: a snapshot to
// start (and again after a missed revision or an owner change, via RevisionFollower), then each change
// and progress tick as it comes. Nothing polls the list.
import { RevisionFollower } from '../shared/revision-follower'
import { withTickBytes, type ModelRecord } from '../shared/service-contract'
import type { ServiceSession } from './owner-session'

export interface FollowModelsOptions {
  /** The followed models, in the order of `ids`: after the snapshot and after every event touching them. */
  onRecords(records: ModelRecord[]): void
  /** The owner cannot be reached any more (its snapshot failed, or a quiet probe did). */
  onLost(error: unknown): void
  /**
   * A client of another owner hears nothing when that owner goes away: after this long without an
   * event it asks the owner's status once, which fails on a lost connection and reveals missed events.
   */
  quietProbeMs?: number
}

const QUIET_PROBE_MS = 5_000

/** Starts following; the returned function stops it. */
export async function followModels(
  session: ServiceSession,
  ids: readonly string[],
  options: FollowModelsOptions,
): Promise<() => void> {
  const wanted = new Set(ids)
  const records = new Map<string, ModelRecord>()
  const report = (): void => {
    options.onRecords(ids.map((id) => records.get(id)).filter((r): r is ModelRecord => r !== undefined))
  }
  const follower = new RevisionFollower({
    snapshot: (snapshot) => {
      records.clear()
      for (const r of snapshot.records) if (wanted.has(r.id)) records.set(r.id, r)
      report()
    },
    changed: (change) => {
      let touched = false
      for (const id of change.removed) touched = records.delete(id) || touched
      for (const r of change.records) {
        if (!wanted.has(r.id)) continue
        records.set(r.id, r)
        touched = true
      }
      if (touched) report()
    },
    progress: (tick) => {
      let touched = false
      for (const m of tick.models) {
        const r = records.get(m.id)
        if (!r) continue
        records.set(m.id, withTickBytes(r, m))
        touched = true
      }
      if (touched) report()
    },
    fetchSnapshot: () => session.api.snapshot(),
    failed: (error) => options.onLost(error),
  })

  let probe: ReturnType<typeof setTimeout> | null = null
  let stopped = false
  const quietMs = options.quietProbeMs ?? QUIET_PROBE_MS
  // Only a socket client can lose its owner; this process's own service is always there.
  const armProbe = (): void => {
    if (session.owner || stopped) return
    if (probe) clearTimeout(probe)
    probe = setTimeout(() => {
      session.api.status().then(
        ({ epoch, revision }) => {
          const at = follower.position
          if (epoch !== at.epoch || revision !== at.revision) void follower.resync()
          armProbe()
        },
        (error: unknown) => {
          if (!stopped) options.onLost(error)
        },
      )
    }, quietMs)
  }

  const unsubscribe = await session.subscribe((event) => {
    armProbe()
    follower.push(event)
  })
  armProbe()
  await follower.start()
  return () => {
    stopped = true
    if (probe) clearTimeout(probe)
    follower.stop()
    unsubscribe()
  }
}
