import type { BatchProgress, ModelRecord } from '../../shared/service-contract'

/**
 * Overall progress of the latest enqueue request only: the old system mixed in every entry ever
 * finished, so a new batch started at 90%.
 */
export function batchProgress(records: readonly ModelRecord[], batchId: string | null): BatchProgress {
  const batch = batchId === null ? [] : records.filter((r) => r.batchId === batchId)
  let bytesDone = 0
  let bytesTotal = 0
  let speedBps = 0
  let completed = 0
  let failed = 0
  let cancelled = 0
  for (const r of batch) {
    if (r.linkTo) continue
    const total = r.totalSize || r.expectedSize
    bytesTotal += total
    bytesDone += r.status === 'completed' ? total : Math.min(r.downloaded, total)
    if (r.status === 'progress') speedBps += r.speedBps
  }
  for (const r of batch) {
    if (r.status === 'completed') completed++
    else if (r.status === 'failed') failed++
    else if (r.status === 'cancelled') cancelled++
  }
  const left = bytesTotal - bytesDone
  return {
    batchId,
    models: batch.length,
    completed,
    failed,
    cancelled,
    bytesDone,
    bytesTotal,
    speedBps,
    etaSeconds: speedBps > 0 ? Math.ceil(left / speedBps) : left === 0 ? 0 : null,
  }
}
