// Small builders for the service's data as main receives it (records, progress ticks, batch summaries).
import type { BatchProgress, ModelRecord, ProgressTick } from '../../../src/shared/service-contract'

export function modelRecord(overrides: Partial<ModelRecord> & Pick<ModelRecord, 'id'>): ModelRecord {
  const name = overrides.id.split('/').pop() ?? overrides.id
  return {
    group: 'loras',
    modelName: name,
    s3Uri: `s3://models/${name}`,
    localPath: overrides.id,
    expectedSize: 1000,
    status: 'queued',
    downloaded: 0,
    totalSize: 1000,
    speedBps: 0,
    etaSeconds: null,
    attempts: 0,
    autoRetries: 0,
    batchId: 'batch-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUpdated: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }
}

export function batchProgress(overrides: Partial<BatchProgress> = {}): BatchProgress {
  return {
    batchId: 'batch-1',
    models: 2,
    completed: 0,
    failed: 0,
    cancelled: 0,
    bytesDone: 0,
    bytesTotal: 2000,
    speedBps: 0,
    etaSeconds: null,
    ...overrides,
  }
}

/** A tick with one model's figures (`downloaded` bytes of 1000) and a batch summary. */
export function progressTick(
  models: Array<{ id: string; downloaded: number }>,
  batch: Partial<BatchProgress> = {},
): ProgressTick {
  return {
    models: models.map(({ id, downloaded }) => ({
      id,
      status: 'progress',
      phase: 'fetching',
      downloaded,
      totalSize: 1000,
      speedBps: 100,
      etaSeconds: 1,
    })),
    batch: batchProgress(batch),
  }
}
