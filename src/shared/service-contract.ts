// The DownloadService's one contract: what the desktop window (IPC), the CLI (local socket) and a
// browser (WebSocket) can ask of the single owner of the queue, and what it tells them.
import type { TransferPhase } from './transfer'

/** The old system's states plus `paused`. */
export type ModelStatus = 'queued' | 'progress' | 'paused' | 'completed' | 'failed' | 'cancelled'

export const TERMINAL_STATUSES: readonly ModelStatus[] = ['completed', 'failed', 'cancelled']

/** Waiting, running or paused: the models that are in the queue. */
export const ACTIVE_STATUSES: readonly ModelStatus[] = ['queued', 'progress', 'paused']

/** A model the service tracks. Its id is its absolute local path: one file, one record. */
export interface ModelRecord {
  id: string
  group: string
  modelName: string
  /** Where it comes from: an S3 object or an https URL, exactly one of the two (see sourceOf). */
  s3Uri?: string
  url?: string
  localPath: string
  expectedSize: number
  sha256?: string
  /** This model is a symbolic link to that path, made once the target is complete. */
  linkTo?: string
  linkReason?: 'symLinkedFrom' | 'same-object'
  status: ModelStatus
  phase?: TransferPhase
  downloaded: number
  totalSize: number
  speedBps: number
  etaSeconds: number | null
  /** Transfer attempts started, automatic retries included. */
  attempts: number
  /** Automatic retries used (bounded by the service). */
  autoRetries: number
  errorCode?: string
  errorMessage?: string
  /**
   * While a transient failure waits for its automatic retry (status `queued`): when the next attempt
   * is due (ISO time) and how many automatic retries the service allows. The view says "retrying in
   * N s (attempt k of n): reason" from these (see shared/retry-notice.ts). Cleared when an attempt
   * starts, and by pause, cancel, a manual retry and the end of the download.
   */
  retryAt?: string
  retryLimit?: number
  /** The S3 object this file was verified against, once completed: its ETag and last-modified time. */
  etag?: string
  objectLastModified?: string
  /**
   * How a completed file was checked: one or more of `VERIFICATION` ("sha256 from config", "S3
   * CRC64NVME", "MD5 ETag", …), or exactly ["size only"] when nothing but its length could be checked.
   * Set on every completed record; a view shows it, never a silent "completed".
   */
  verifiedBy?: string[]
  /**
   * Another machine on a shared volume holds this file's claim: while following, the host fetching it;
   * once completed, the host that fetched it.
   */
  fetchedBy?: string
  /** The enqueue request that added it: overall progress counts only the latest batch. */
  batchId: string
  createdAt: string
  startedAt?: string
  finishedAt?: string
  lastUpdated: string
}

/** A model's source, whichever kind: what "the same object" means for dedupe and links. */
export function sourceOf(m: { s3Uri?: string; url?: string }): string {
  return m.s3Uri ?? m.url ?? ''
}

/** Just the source field a model has, to copy from one shape into another. */
export function sourceFields(m: { s3Uri?: string; url?: string }): { s3Uri: string } | { url: string } {
  return m.url !== undefined ? { url: m.url } : { s3Uri: m.s3Uri ?? '' }
}

/** Which models a command applies to. */
export type ModelSelector =
  | { all: true }
  | { allFailed: true }
  | { ids: string[] }
  | { group: string; modelName: string }
  | { path: string }

export interface EnqueueEntry {
  group: string
  modelName: string
  /** Exactly one of the two: `s3://bucket/key`, or an `https://` URL (Hugging Face, CivitAI, …). */
  s3Uri?: string
  url?: string
  localPath: string
  expectedSize: number
  sha256?: string
  /** The old system's symLinkedFrom: this path becomes a link to that one. */
  symLinkedFrom?: string
}

export interface EnqueueRequest {
  entries: EnqueueEntry[]
  /** Download even when a complete file of the right size is already there. */
  force?: boolean
}

export interface EnqueueResult {
  batchId: string
  /** Added to the queue. */
  queued: string[]
  /** Already queued or running: not added twice. */
  alreadyQueued: string[]
  /** A complete file of the right size is there: marked completed without a download. */
  alreadyComplete: string[]
  /** Will become links (same S3 object as another entry, or symLinkedFrom). */
  linked: string[]
}

export interface BatchProgress {
  batchId: string | null
  models: number
  completed: number
  failed: number
  cancelled: number
  bytesDone: number
  bytesTotal: number
  speedBps: number
  etaSeconds: number | null
}

export interface ServiceStatus {
  stateDir: string
  files: { state: string; progress: string; log: string; socket: string }
  owner: { pid: number; kind: OwnerKind; since: string } | null
  worker: { running: boolean; pid: number | null }
  queueLength: number
  active: number
  counts: StatusCounts
  batch: BatchProgress
  /** The epoch and revision of the last event: a status and an event stream can be matched. */
  epoch: string
  revision: number
  settings: { concurrency: number; maxConnections: number; bandwidthLimitBps: number }
  /** Redacted: never a secret. */
  s3: Record<string, unknown>
  /** Set when the owner found its state file damaged when it opened it, and how it recovered. */
  recovered?: StateRecovery
}

/** How an owner recovered from a damaged state file (unreadable, not JSON, or not the expected shape). */
export interface StateRecovery {
  /** backup: the previous copy (`state.json.bak`); sidecars: the `.part.json` files; empty: nothing. */
  from: 'backup' | 'sidecars' | 'empty'
  /** What was wrong with the state file. */
  reason: string
  /** Where the damaged file was kept; null if it could not be moved aside. */
  keptAt: string | null
  /** from `backup`: when that copy was written (ISO). */
  backupTime?: string
  /** from `sidecars`: how many paused records were rebuilt. */
  rebuilt?: number
  /** When the owner recovered (ISO). */
  at: string
  /** One or two plain lines that say the above, for a terminal or a window. */
  message: string
}

export type OwnerKind = 'app' | 'cli' | 'daemon' | 'serve'

/** The words `verifiedBy` uses when nothing but the file's length could be checked. */
export const SIZE_ONLY = 'size only'

/** "sha256 from config, MD5 ETag" or "size only": how a completed record's file was verified. */
export function verificationText(record: Pick<ModelRecord, 'verifiedBy'>): string {
  return record.verifiedBy?.length ? record.verifiedBy.join(', ') : SIZE_ONLY
}

export type StatusCounts = Record<ModelStatus, number>

/**
 * Every event carries a revision: the owner's count of events, one more each time, within an epoch (one
 * run of one owner). A client that sees another epoch, or a revision other than the next one, missed
 * something and asks for a `snapshot()` (RevisionFollower does this).
 */
export interface Revisioned {
  epoch: string
  revision: number
}

/** A record with a tick's bytes merged in: only the byte fields, whatever else a tick carries. */
export function withTickBytes<R extends ModelRecord>(r: R, m: ProgressTick['models'][number]): R {
  const { downloaded, totalSize, speedBps, etaSeconds, phase } = m
  return { ...r, downloaded, totalSize, speedBps, etaSeconds, ...(phase ? { phase } : {}) }
}

/** Per-tick progress of the models whose bytes moved, plus the batch summary. */
export interface ProgressTick extends Revisioned {
  models: Array<
    // Bytes only: a status travels in a change event with the whole record, so a tick flushed just
    // before that change cannot hand a view a "completed" without how it was verified.
    Pick<ModelRecord, 'id' | 'phase' | 'downloaded' | 'totalSize' | 'speedBps' | 'etaSeconds'>
  >
  batch: BatchProgress
}

/**
 * Records added, changed in more than their byte counts, or removed; the queue order when it changed;
 * and the summaries computed from all records after the change (one place computes them: a view
 * never derives its own and cannot freeze on an old one).
 */
export interface ServiceChange extends Revisioned {
  records: ModelRecord[]
  removed: string[]
  /** The ids of queued, running and paused records in queue order; present only when it changed. */
  queue?: string[]
  batch: BatchProgress
  counts: StatusCounts
}

export interface DiskCheckResult {
  /** Records looked at (every record not running). */
  checked: number
  /** Completed records whose file is gone or changed: removed, the disk shows what is there. */
  forgotten: string[]
  /** Partial downloads whose byte count now says what their `.part` holds. */
  corrected: string[]
}

/** Everything a view needs at once: after connecting, or after it missed a revision. */
export interface ServiceSnapshot extends Revisioned {
  /** Every record, queue order first (as list()). */
  records: ModelRecord[]
  queue: string[]
  batch: BatchProgress
  counts: StatusCounts
}

export type ServiceEvent = { type: 'progress'; data: ProgressTick } | { type: 'changed'; data: ServiceChange }

export type MovePosition = 'top' | 'up' | 'down' | 'bottom'

/** Every method resolves with plain data (it crosses process boundaries) or rejects with ServiceError. */
export interface DownloadServiceApi {
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>
  cancel(selector: ModelSelector): Promise<string[]>
  pause(selector: ModelSelector): Promise<string[]>
  resume(selector: ModelSelector): Promise<string[]>
  retry(selector: ModelSelector): Promise<string[]>
  move(id: string, position: MovePosition): Promise<void>
  /** Every record, queue order first (running, queued, paused), then the rest by last update. */
  list(): Promise<ModelRecord[]>
  /** Records, queue order and summaries at one revision: where a view starts, or starts again. */
  snapshot(): Promise<ServiceSnapshot>
  /**
   * Checks the records against the disk (done when the owner opens; a window asks when it attaches or
   * loads a config): completed files that are gone are forgotten, partial byte counts corrected.
   */
  checkDisk(): Promise<DiskCheckResult>
  status(): Promise<ServiceStatus>
  /** Stops the worker: running transfers pause (or, with force, everything is cancelled). */
  stopWorker(options: { force: boolean }): Promise<void>
  /** Lets the queue run again after stopWorker. */
  startWorker(): Promise<void>
}

export const SERVICE_METHODS = [
  'enqueue',
  'cancel',
  'pause',
  'resume',
  'retry',
  'move',
  'list',
  'snapshot',
  'checkDisk',
  'status',
  'stopWorker',
  'startWorker',
] as const satisfies ReadonlyArray<keyof DownloadServiceApi>

/** Error codes a client can act on; the message says what happened and what to do. */
export type ServiceErrorCode =
  | 'bad_request'
  /** The request is well formed but not allowed: a path outside the models roots, say. */
  | 'forbidden'
  | 'not_found'
  | 'not_owner'
  | 'unavailable'
  | 'internal'

export interface ServiceErrorShape {
  code: ServiceErrorCode
  message: string
}
