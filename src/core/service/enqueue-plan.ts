// What an enqueue request becomes, before anything changes: new records (downloads, links, files found
// complete on disk) and the active records it asks for again. The first entry of each S3 object in the
// request (or already queued) is its download; the others become links to it: download once, link many.
import { resolve } from 'node:path'
import {
  ACTIVE_STATUSES,
  SIZE_ONLY,
  sourceFields,
  sourceOf,
  type EnqueueEntry,
  type EnqueueResult,
  type ModelRecord,
} from '../../shared/service-contract'
import { localState } from './local/install-state'

export interface EnqueuePlan {
  result: EnqueueResult
  /** New records, in the request's order. */
  added: ModelRecord[]
  /** Active records asked for again: a paused one resumes (the way to continue after Ctrl-C in --wait). */
  again: ModelRecord[]
}

export async function planEnqueue(
  entries: readonly EnqueueEntry[],
  records: ReadonlyMap<string, ModelRecord>,
  options: { batchId: string; now: string; force?: boolean },
): Promise<EnqueuePlan> {
  const { batchId, now } = options
  const plan: EnqueuePlan = {
    result: { batchId, queued: [], alreadyQueued: [], alreadyComplete: [], linked: [] },
    added: [],
    again: [],
  }
  const primaryByObject = new Map<string, string>()
  for (const r of records.values()) {
    if (ACTIVE_STATUSES.includes(r.status) && !r.linkTo) primaryByObject.set(sourceOf(r), r.id)
  }
  const seen = new Set<string>()
  for (const entry of entries) {
    const id = resolve(entry.localPath)
    if (seen.has(id)) continue
    seen.add(id)
    const existing = records.get(id)
    if (existing && ACTIVE_STATUSES.includes(existing.status)) {
      plan.again.push(existing)
      plan.result.alreadyQueued.push(id)
      continue
    }
    const record = newRecord(entry, id, batchId, now)
    const primary = primaryByObject.get(sourceOf(entry))
    if (entry.symLinkedFrom) {
      record.linkTo = resolve(entry.symLinkedFrom)
      record.linkReason = 'symLinkedFrom'
    } else if (primary && primary !== id) {
      record.linkTo = primary
      record.linkReason = 'same-object'
    } else {
      primaryByObject.set(sourceOf(entry), id)
      if (!options.force && (await localState(id, entry.expectedSize)).kind === 'installed') {
        // Found complete on disk: only its length can be vouched for without reading it all.
        Object.assign(record, {
          status: 'completed',
          downloaded: entry.expectedSize,
          finishedAt: now,
          verifiedBy: [SIZE_ONLY],
        })
        plan.result.alreadyComplete.push(id)
      }
    }
    if (record.linkTo) plan.result.linked.push(id)
    else if (record.status === 'queued') plan.result.queued.push(id)
    plan.added.push(record)
  }
  return plan
}

function newRecord(entry: EnqueueEntry, id: string, batchId: string, now: string): ModelRecord {
  return {
    id,
    group: entry.group,
    modelName: entry.modelName,
    ...sourceFields(entry),
    localPath: id,
    expectedSize: entry.expectedSize,
    ...(entry.sha256 ? { sha256: entry.sha256.toLowerCase() } : {}),
    status: 'queued',
    downloaded: 0,
    totalSize: entry.expectedSize,
    speedBps: 0,
    etaSeconds: null,
    attempts: 0,
    autoRetries: 0,
    batchId,
    createdAt: now,
    lastUpdated: now,
  }
}
