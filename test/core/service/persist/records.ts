import type { ModelRecord } from '../../../../src/shared/service-contract'

/** A complete ModelRecord for tests; id and localPath follow each other unless overridden. */
export function makeRecord(overrides: Partial<ModelRecord> = {}): ModelRecord {
  const localPath = overrides.localPath ?? overrides.id ?? '/models/sdxl/model.safetensors'
  return {
    id: localPath,
    group: 'sdxl',
    modelName: 'model.safetensors',
    s3Uri: 's3://bucket/sdxl/model.safetensors',
    localPath,
    expectedSize: 1000,
    status: 'queued',
    downloaded: 0,
    totalSize: 0,
    speedBps: 0,
    etaSeconds: null,
    attempts: 0,
    autoRetries: 0,
    batchId: 'b1',
    createdAt: '2025-07-14T10:00:00.000Z',
    lastUpdated: '2025-07-14T10:00:00.000Z',
    ...overrides,
  }
}
