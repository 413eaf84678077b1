// What a DownloadService runs with. Derived from the user's settings in one place
// (src/core/app/service-settings.ts); re-exported by download-service.ts for its callers.
import type { S3Settings, TransferTuning } from '../../shared/transfer'

export interface ServiceSettings {
  /** Downloads running at once. */
  concurrency: number
  /**
   * Connections in total: slots count a download as its connections per file (4 when automatic), and
   * automatic connections adapt within it.
   */
  maxConnections: number
  /** Automatic retries of a failed download whose error is transient (network, 5xx, worker crash). */
  maxAutoRetries: number
  /** Fetch an object's `.tar.zst` sibling instead when the store has one (the old system's option). */
  compressedSiblings: boolean
  s3: S3Settings
  tuning: TransferTuning
  /** New models roots (a window changed the setting); without it the roots the service opened with stay. */
  modelsRoots?: string[]
}

export const DEFAULT_SERVICE_SETTINGS: Omit<ServiceSettings, 's3' | 'tuning'> = {
  concurrency: 3,
  maxConnections: 32,
  maxAutoRetries: 3,
  compressedSiblings: false,
}

/** What an automatic connections-per-file setting costs the connection budget. */
export const AUTO_CONNECTIONS_PER_FILE = 4

/** Downloads that may run at once: the concurrency, within the connection budget. */
export function downloadSlots(s: ServiceSettings): number {
  const perJob = s.tuning.connectionsPerFile > 0 ? s.tuning.connectionsPerFile : AUTO_CONNECTIONS_PER_FILE
  return Math.max(1, Math.min(s.concurrency, Math.floor(s.maxConnections / perJob)))
}
