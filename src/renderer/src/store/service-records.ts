// How the store follows the service: a snapshot replaces what the window knows of the queue, a change
// event applies its records, removals, queue order and summaries, a progress tick merges bytes and the
// batch. Pure functions of the previous state: the store calls them, the RevisionFollower orders them.
import type { LocalInfo } from '../../../shared/api-contract'
import {
  ACTIVE_STATUSES,
  type BatchProgress,
  type ModelRecord,
  type ModelStatus,
  type ProgressTick,
  withTickBytes,
  type ServiceChange,
  type ServiceSnapshot,
  type StatusCounts,
} from '../../../shared/service-contract'
import { copyOnWrite } from './copy-on-write'

/** What the window holds of the service's state. */
export interface ServiceView {
  /** The service's records by id; a new Map on every change. */
  records: ReadonlyMap<string, ModelRecord>
  /** Record statuses only: a new Map only when some status changed, so lists re-sort on that alone. */
  recordStatus: ReadonlyMap<string, ModelStatus>
  /** Ids of queued, running and paused models in the service's queue order. */
  queueOrder: readonly string[]
  /** The latest batch's summary, as the service computed it with the last event. */
  batch: BatchProgress | null
  /** Records per status, as the service computed them with the last change. */
  counts: StatusCounts | null
  /** What the disk says, by model id (a record that completes is installed until the disk says otherwise). */
  local: ReadonlyMap<string, LocalInfo>
}

/** A change as the store takes it: the summaries and the order are optional for records listed by hand. */
export type RecordChange = Pick<ServiceChange, 'records' | 'removed'> &
  Partial<Pick<ServiceChange, 'queue' | 'batch' | 'counts'>>

const isActive = (r: Pick<ModelRecord, 'status'>) => ACTIVE_STATUSES.includes(r.status)

/** Records listed in the service's order (queue first), as list() returns them. */
export function fromList(
  list: readonly ModelRecord[],
): Pick<ServiceView, 'records' | 'recordStatus' | 'queueOrder'> {
  return {
    records: new Map(list.map((r) => [r.id, r])),
    recordStatus: new Map(list.map((r) => [r.id, r.status])),
    queueOrder: list.filter(isActive).map((r) => r.id),
  }
}

export function fromSnapshot(
  snapshot: ServiceSnapshot,
): Pick<ServiceView, 'records' | 'recordStatus' | 'queueOrder' | 'batch' | 'counts'> {
  return {
    ...fromList(snapshot.records),
    queueOrder: snapshot.queue,
    batch: snapshot.batch,
    counts: snapshot.counts,
  }
}

export function withChange(s: ServiceView, change: RecordChange): Partial<ServiceView> {
  const records = new Map(s.records)
  const recordStatus = copyOnWrite(s.recordStatus)
  const local = copyOnWrite(s.local)
  for (const id of change.removed) {
    records.delete(id)
    if (s.recordStatus.has(id)) recordStatus.delete(id)
  }
  for (const r of change.records) {
    const before = s.records.get(r.id)
    records.set(r.id, r)
    if (s.recordStatus.get(r.id) !== r.status) recordStatus.set(r.id, r.status)
    // The service verified the file before calling it complete: installed until the disk says otherwise.
    if (r.status === 'completed' && before?.status !== 'completed') local.set(r.id, { state: 'installed' })
  }
  return {
    records,
    recordStatus: recordStatus.result,
    local: local.result,
    queueOrder: change.queue ?? orderWithout(s.queueOrder, change),
    ...(change.batch ? { batch: change.batch } : {}),
    ...(change.counts ? { counts: change.counts } : {}),
  }
}

/**
 * The service sends its queue order whenever it changed; without one, the order stands, less what left
 * it and plus what entered it (a change given by hand, without the service's order).
 */
function orderWithout(order: readonly string[], change: RecordChange): readonly string[] {
  const leaving = new Set(change.removed)
  for (const r of change.records) if (!isActive(r)) leaving.add(r.id)
  const kept = order.filter((id) => !leaving.has(id))
  const inOrder = new Set(kept)
  for (const r of change.records) if (isActive(r) && !inOrder.has(r.id)) kept.push(r.id)
  return kept.length === order.length && kept.every((id, i) => id === order[i]) ? order : kept
}

export function withTick(s: ServiceView, tick: ProgressTick): Partial<ServiceView> {
  const records = new Map(s.records)
  let touched = false
  for (const m of tick.models) {
    const r = records.get(m.id)
    // Every record arrives in a change event before its first tick; one that is gone is no news.
    if (!r) continue
    touched = true
    records.set(m.id, withTickBytes(r, m))
  }
  return touched ? { records, batch: tick.batch } : { batch: tick.batch }
}
