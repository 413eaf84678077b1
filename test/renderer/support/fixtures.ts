// Builders for the data that crosses the Api, with defaults a test overrides only where it matters.
import type {
  AppInfo,
  LoadedConfig,
  LocalInfo,
  ModelInfo,
  ScannedModel,
  ScanProgress,
} from '../../../src/shared/api-contract'
import {
  ACTIVE_STATUSES,
  type BatchProgress,
  type EnqueueResult,
  type ModelRecord,
  type ModelStatus,
  type ProgressTick,
  type Revisioned,
  type ServiceChange,
  type ServiceSnapshot,
  type ServiceStatus,
  type StatusCounts,
} from '../../../src/shared/service-contract'
import type { AppSettings, SettingsView } from '../../../src/shared/settings'

export const MODELS_ROOT = '/workspace/ComfyUI/models'
export const GB = 1_000_000_000
export const MB = 1_000_000
const AT = '2025-01-02T03:04:05.000Z'

/** A model of the config; its id and local path follow from group and name unless given. */
export function modelInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  const group = overrides.group ?? 'loras'
  const modelName = overrides.modelName ?? 'detail.safetensors'
  const localPath = overrides.localPath ?? overrides.id ?? `${MODELS_ROOT}/${group}/${modelName}`
  return {
    id: localPath,
    entryId: `${group}/${modelName.replace(/\.[^.]+$/, '')}`,
    group,
    modelName,
    s3Uri: `s3://models-bucket/models/${group}/${modelName}`,
    localPath,
    expectedSize: 100 * MB,
    ...overrides,
  }
}

/** The service's record of a model (queued, nothing downloaded yet unless told). */
export function modelRecord(model: ModelInfo, overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    id: model.id,
    group: model.group,
    modelName: model.modelName,
    s3Uri: model.s3Uri,
    localPath: model.localPath,
    expectedSize: model.expectedSize,
    status: 'queued',
    downloaded: 0,
    totalSize: model.expectedSize,
    speedBps: 0,
    etaSeconds: null,
    attempts: 0,
    autoRetries: 0,
    batchId: 'batch-1',
    createdAt: AT,
    lastUpdated: AT,
    ...overrides,
  }
}

export function loadedConfig(models: ModelInfo[], overrides: Partial<LoadedConfig> = {}): LoadedConfig {
  return {
    source: { kind: 'file', path: '/home/me/configs/comfy-models.json' },
    format: 'nested',
    models,
    local: {},
    sources: ['s3://models-bucket/models/'],
    loadedAt: AT,
    ...overrides,
  }
}

export function localState(state: LocalInfo['state'], bytes?: number): LocalInfo {
  return bytes === undefined ? { state } : { state, bytes }
}

export function batchProgress(overrides: Partial<BatchProgress> = {}): BatchProgress {
  return {
    batchId: 'batch-1',
    models: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    bytesDone: 0,
    bytesTotal: 0,
    speedBps: 0,
    etaSeconds: null,
    ...overrides,
  }
}

/** The owner's run the fixtures' events and snapshots belong to. */
export const EPOCH = 'epoch-1'

/** A tick for these records' bytes and speed (a tick carries no status), at revision 1 unless told. */
export function progressTick(
  models: Array<Pick<ModelRecord, 'id'> & Partial<ModelRecord>>,
  batch: Partial<BatchProgress> = {},
  at: Partial<Revisioned> = {},
): ProgressTick {
  return {
    epoch: at.epoch ?? EPOCH,
    revision: at.revision ?? 1,
    models: models.map((m) => ({
      id: m.id,
      downloaded: m.downloaded ?? 0,
      totalSize: m.totalSize ?? 100 * MB,
      speedBps: m.speedBps ?? 0,
      etaSeconds: m.etaSeconds ?? null,
      ...(m.phase ? { phase: m.phase } : {}),
    })),
    batch: batchProgress(batch),
  }
}

export function enqueueResult(overrides: Partial<EnqueueResult> = {}): EnqueueResult {
  return { batchId: 'batch-1', queued: [], alreadyQueued: [], alreadyComplete: [], linked: [], ...overrides }
}

export function appSettings(
  overrides: Partial<Omit<AppSettings, 's3'>> & { s3?: Partial<AppSettings['s3']> } = {},
): AppSettings {
  const { s3, ...rest } = overrides
  return {
    s3: {
      endpoint: '',
      region: 'us-east-1',
      bucket: 'models-bucket',
      profile: '',
      forcePathStyle: false,
      credentials: 'chain',
      accessKeyHint: '',
      ...s3,
    },
    sourceUri: '',
    modelsRoot: MODELS_ROOT,
    networkVolume: '/workspace',
    concurrency: 2,
    connectionsPerFile: 0,
    partSizeMiB: 64,
    bandwidthLimitBps: 0,
    notifications: true,
    compressedSiblings: false,
    modelExtensions: ['.safetensors', '.ckpt'],
    ...rest,
  }
}

export function settingsView(
  settings: Parameters<typeof appSettings>[0] = {},
  keyStorage: SettingsView['keyStorage'] = { available: true },
): SettingsView {
  return { settings: appSettings(settings), keyStorage }
}

export function appInfo(
  overrides: Partial<Omit<AppInfo, 'capabilities'>> & {
    capabilities?: Partial<AppInfo['capabilities']>
  } = {},
): AppInfo {
  const { capabilities, ...rest } = overrides
  return {
    version: '0.1.0',
    shell: 'browser',
    ownerKind: 'serve',
    stateDir: '/home/me/.local/state/modeldl',
    platform: 'linux',
    capabilities: { dialogs: false, reveal: false, notifications: false, ...capabilities },
    ...rest,
  }
}

const ZERO_COUNTS: Record<ModelStatus, number> = {
  queued: 0,
  progress: 0,
  paused: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
}

/** Records per status, as the service counts them. */
export function countsOf(records: readonly Pick<ModelRecord, 'status'>[]): StatusCounts {
  const counts = { ...ZERO_COUNTS }
  for (const r of records) counts[r.status]++
  return counts
}

/** A change event with these records, at revision 1 unless told; counts follow the records given. */
export function serviceChange(
  records: ModelRecord[],
  overrides: Partial<Omit<ServiceChange, 'records'>> = {},
): ServiceChange {
  return {
    epoch: EPOCH,
    revision: 1,
    records,
    removed: [],
    batch: batchProgress({ batchId: null }),
    counts: countsOf(records),
    ...overrides,
  }
}

/** What snapshot() answers for these records (listed queue first), at revision 0 unless told. */
export function serviceSnapshot(
  records: ModelRecord[],
  overrides: Partial<Omit<ServiceSnapshot, 'records'>> = {},
): ServiceSnapshot {
  return {
    epoch: EPOCH,
    revision: 0,
    records,
    queue: records.filter((r) => ACTIVE_STATUSES.includes(r.status)).map((r) => r.id),
    batch: batchProgress({ batchId: null }),
    counts: countsOf(records),
    ...overrides,
  }
}

export function serviceStatus(overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  const dir = '/home/me/.local/state/modeldl'
  return {
    stateDir: dir,
    files: {
      state: `${dir}/state.json`,
      progress: `${dir}/progress.json`,
      log: `${dir}/log`,
      socket: `${dir}/sock`,
    },
    owner: null,
    worker: { running: false, pid: null },
    queueLength: 0,
    active: 0,
    counts: { ...ZERO_COUNTS },
    batch: batchProgress({ batchId: null }),
    epoch: EPOCH,
    revision: 0,
    settings: { concurrency: 2, maxConnections: 4, bandwidthLimitBps: 0 },
    s3: {},
    ...overrides,
  }
}

export function scannedModel(overrides: Partial<ScannedModel> = {}): ScannedModel {
  const { local, lastModified, hasCompressedSibling, etag, ...info } = overrides
  return {
    ...modelInfo(info),
    lastModified: lastModified ?? AT,
    ...(etag !== undefined ? { etag } : {}),
    hasCompressedSibling: hasCompressedSibling ?? false,
    local: local ?? { state: 'missing' },
  }
}

export function scanPage(overrides: Partial<ScanProgress> = {}): ScanProgress {
  return {
    scanId: 'scan-1',
    uri: 's3://models-bucket/models/',
    models: [],
    folders: [],
    listed: overrides.models?.length ?? 0,
    done: false,
    ...overrides,
  }
}
