// Types of one S3 → disk transfer, shared by the engine (core), the worker process and its hosts.
// Plain data only: these cross process boundaries as structured-clone / JSON messages.

/** One object to fetch onto one local path, from S3 or from an https URL: exactly one of the two. */
export interface TransferJob {
  /** Unique per job within a worker; the service uses it to match events to models. */
  id: string
  /** `s3://bucket/key` */
  s3Uri?: string
  /** `https://…`: Hugging Face, CivitAI or any server that answers byte ranges. */
  url?: string
  /** Absolute path of the final file. Nothing exists there until the file is complete and verified. */
  localPath: string
  /** Size the caller expects (the model config's modelSize); a different real size fails before any byte is fetched. */
  expectedSize?: number
  /** Lower-case hex sha256 the finished file must have. */
  sha256?: string
  /** Fetch `<key>.tar.zst` instead when the store has it, and unpack the model from it. */
  compressedSibling?: boolean
  /**
   * Real paths of the folders the file must land in (the models roots), checked again right before
   * `.part` is opened, before each sidecar write and before the rename. Without them the file is held
   * to the folder its path leads to when the transfer starts (`modeldl get`: the user's own argument).
   */
  roots?: string[]
}

/** `following`: another machine holds the file's claim on a shared volume; its progress is shown. */
export type TransferPhase = 'head' | 'fetching' | 'verifying' | 'finalizing' | 'following'

export interface TransferProgress {
  id: string
  phase: TransferPhase
  /** Bytes of the object present in `.part` (including bytes resumed from an earlier run). */
  bytesDone: number
  totalBytes: number
  /** Smoothed bytes per second over the last few seconds. */
  speedBps: number
  /** Seconds left at the current speed; null while unknown. */
  etaSeconds: number | null
  /** While following: the host whose claim this machine follows. */
  fetchedBy?: string
}

/** Why a transfer ended without a file. Each comes with a message that names the object or path. */
export type TransferErrorCode =
  | 'invalid_job'
  | 'not_found'
  | 'access_denied'
  | 'credentials_expired'
  | 'credentials_missing'
  | 'not_restored'
  | 'size_mismatch'
  | 'checksum_mismatch'
  | 'object_changed'
  | 'disk_full'
  | 'not_writable'
  | 'path_is_directory'
  | 'path_is_symlink'
  | 'path_outside_roots'
  | 'network'
  | 'unsafe_redirect'
  | 'server_error'
  | 'worker_crashed'
  | 'internal'

/** How a transfer that did not fail stopped early. */
export type StopReason = 'cancelled' | 'paused'

export type ChecksumAlgorithm = 'sha256' | 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'md5-etag'

export interface VerifiedChecksum {
  algorithm: ChecksumAlgorithm
  /** Where the expected value came from (`server`: Hugging Face's X-Linked-Etag, CivitAI's API). */
  source: 'job' | 's3' | 'etag' | 'server'
  value: string
}

export interface TransferResult {
  id: string
  localPath: string
  size: number
  etag: string
  lastModified: string | null
  verified: VerifiedChecksum[]
  /** Bytes fetched over the network by this run (less than size when resumed). */
  bytesFetched: number
  /** Bytes that were already in `.part` when this run started. */
  bytesResumed: number
  durationMs: number
  /** Fetched by another machine on a shared volume, and how that machine verified it (empty: unknown). */
  followed?: { host: string; verifiedBy: string[] }
}

/** Where and how to reach S3. Secrets never appear in logs: see `redactS3Settings`. */
export interface S3Settings {
  region?: string
  /** Custom endpoint (MinIO, R2, B2, s3rver…); path-style addressing is used with it unless forcePathStyle is false. */
  endpoint?: string
  forcePathStyle?: boolean
  /** Shared-config profile for the AWS credential chain. */
  profile?: string
  /** Explicit keys (the app decrypts them with safeStorage before handing them over). */
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
}

export interface TransferTuning {
  /** Bytes per ranged GET. Objects at most this large are fetched in one request. */
  partSize: number
  /** Parallel ranged GETs per file; 0 = automatic (connections adapt: see connectionPolicy in core). */
  connectionsPerFile: number
  /**
   * Automatic connections: the most all transfers of one worker run at once (the service's connection
   * budget). Absent: the engine's own cap per host.
   */
  connectionBudget?: number
  /** Attempts per range before the job fails (transient errors only). */
  maxAttempts: number
  /** Shared limit for all transfers in one worker, bytes per second; 0 = unlimited. */
  bandwidthLimitBps: number
  /** Verify a plain-MD5 ETag (single-part upload, no SSE-KMS) when no stronger checksum is known. */
  verifyEtagMd5: boolean
  /** Free space to keep on the disk beyond the file itself. */
  freeSpaceMarginBytes: number
  /** A connection that delivers no byte for this long is treated as stalled and retried. */
  stallTimeoutMs: number
  connectTimeoutMs: number
}

export const DEFAULT_TUNING: TransferTuning = {
  partSize: 64 * 1024 * 1024,
  connectionsPerFile: 0,
  maxAttempts: 6,
  bandwidthLimitBps: 0,
  verifyEtagMd5: true,
  freeSpaceMarginBytes: 256 * 1024 * 1024,
  stallTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
}

export function redactS3Settings(s: S3Settings): Record<string, unknown> {
  return {
    ...s,
    accessKeyId: s.accessKeyId ? `${s.accessKeyId.slice(0, 4)}…` : undefined,
    secretAccessKey: s.secretAccessKey ? '(set)' : undefined,
    sessionToken: s.sessionToken ? '(set)' : undefined,
  }
}
