// The records a service opens with: the state file's, or what could be recovered when it was damaged.
import type { ModelRecord, StateRecovery } from '../../shared/service-contract'
import type { Logger } from './persist/log'
import { describeRecovery, rebuildFromDisk, type StateStore } from './persist/state-store'

export interface LoadedRecords {
  records: ModelRecord[]
  /** Queue order as saved (ids of records that may no longer be active: the core filters them). */
  queue: string[]
  recovery: StateRecovery | undefined
}

export async function loadRecords(
  store: StateStore,
  modelsRoots: readonly string[],
  log: Logger,
): Promise<LoadedRecords> {
  const loaded = await store.load()
  const { state, recovered, note } = loaded
  let records = state.records
  if (recovered === 'backup' || recovered === 'rebuilt') log.warn(note ?? `State file ${recovered}`)
  if (recovered === 'rebuilt') {
    records = await rebuildFromDisk([...modelsRoots])
    log.warn(`Rebuilt ${records.length} paused downloads from partial files on disk`)
  }
  // A crash left running ones as `progress`: their `.part` files let them resume where they stopped.
  const restored = records.map((r): ModelRecord => ({
    ...r,
    status: r.status === 'progress' ? 'queued' : r.status,
    speedBps: 0,
    etaSeconds: null,
  }))
  return {
    records: restored,
    queue: state.queue,
    recovery: describeRecovery(loaded, store.path, records.length),
  }
}
