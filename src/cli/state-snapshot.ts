import { asStateFolderError } from '../core/service/owner/owner-lock'
import { readStateFile } from '../core/service/persist/state-store'
import { inQueueOrder } from '../core/service/queue-order'
import type { StatePaths } from '../core/service/state-paths'
import type { ModelRecord, StateRecovery } from '../shared/service-contract'

export interface StateSnapshot {
  queue: string[]
  records: ModelRecord[]
}

/**
 * The records as the state file has them, for read-only commands when no owner is running. Reads
 * only, with the owner's own check of the file: `damaged` means an owner must recover it (move it
 * aside, restore the backup or rebuild) before anything can be read. A folder that cannot be read
 * (ENOTDIR, EACCES) is a StateFolderError.
 */
export async function readStateSnapshot(
  paths: StatePaths,
): Promise<
  { kind: 'ok'; snapshot: StateSnapshot } | { kind: 'missing' } | { kind: 'damaged'; reason: string }
> {
  const outcome = await readStateFile(paths.stateFile)
  if (outcome.kind === 'ok') return { kind: 'ok', snapshot: outcome.state }
  if (outcome.kind === 'missing') return outcome
  if (outcome.code) {
    const err = Object.assign(new Error(outcome.reason), { code: outcome.code, path: paths.stateFile })
    const folderError = await asStateFolderError(paths.dir, err)
    if (folderError !== err) throw folderError
  }
  return { kind: 'damaged', reason: outcome.reason }
}

/** Queue order first, then the rest: the same order the service's list() gives. */
export function orderRecords(snapshot: StateSnapshot): ModelRecord[] {
  return inQueueOrder(snapshot.queue, snapshot.records)
}

/** Tells the terminal (stderr, whatever the output format) how a damaged state file was recovered. */
export function reportRecovery(recovery: StateRecovery | undefined): void {
  if (!recovery) return
  for (const line of recovery.message.split('\n')) console.error(`modeldl: ${line}`)
}
