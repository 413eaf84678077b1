// Small builders for the service's data as main receives it (records, progress ticks, batch summaries).
import type {
  BatchProgress,
  ModelRecord,
  ProgressTick,
  Revisioned,
  ServiceChange,
  ServiceSnapshot,
  StatusCounts,
} from '../../../src/shared/service-contract'

/** The owner's run these builders' events belong to. */
export const EPOCH = 'epoch-1'

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

/** A tick with these models' figures (`downloaded` bytes of 1000) and a batch summary, at revision 1 unless told. */
export function progressTick(
  models: Array<{ id: string; downloaded: number }>,
  batch: Partial<BatchProgress> = {},
  at: Partial<Revisioned> = {},
): ProgressTick {
  return {
    epoch: at.epoch ?? EPOCH,
    revision: at.revision ?? 1,
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

export function statusCounts(overrides: Partial<StatusCounts> = {}): StatusCounts {
  return { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0, ...overrides }
}

/** A change event with these records, at revision 1 unless told. */
export function serviceChange(
  records: ModelRecord[],
  overrides: Partial<Omit<ServiceChange, 'records'>> = {},
): ServiceChange {
  return {
    epoch: EPOCH,
    revision: 1,
    records,
    removed: [],
    batch: batchProgress(),
    counts: statusCounts(),
    ...overrides,
  }
}

/** What snapshot() answers, at revision 0 unless told. */
export function serviceSnapshot(overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    epoch: EPOCH,
    revision: 0,
    records: [],
    queue: [],
    batch: batchProgress(),
    counts: statusCounts(),
    ...overrides,
  }
}
