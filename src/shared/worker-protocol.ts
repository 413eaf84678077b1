// The message protocol between a WorkerHost and the transfer worker. The same messages travel over
// Electron's utilityProcess port and over Node's child_process IPC channel.
import type {
  S3Settings,
  StopReason,
  TransferErrorCode,
  TransferJob,
  TransferProgress,
  TransferResult,
  TransferTuning,
} from './transfer'

export type HostToWorker =
  | { type: 'configure'; s3: S3Settings; tuning: TransferTuning; env?: Record<string, string> }
  | { type: 'start'; job: TransferJob }
  | { type: 'cancel'; id: string }
  | { type: 'pause'; id: string }
  | { type: 'set-bandwidth'; bytesPerSecond: number }
  | { type: 'shutdown' }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** One thing the worker tells its host. */
export type WorkerEvent =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; progress: TransferProgress }
  | { type: 'done'; id: string; result: TransferResult }
  | { type: 'failed'; id: string; code: TransferErrorCode; message: string; retryable: boolean }
  | { type: 'stopped'; id: string; reason: StopReason }
  | { type: 'log'; level: LogLevel; message: string }

/**
 * What travels from the worker: one event, or several gathered into one message (progress waits a
 * few milliseconds for company, so that many short transfers do not each cost the channel a write
 * and the host a wake-up per phase).
 */
export type WorkerToHost = WorkerEvent | { type: 'batch'; messages: WorkerEvent[] }

export function isWorkerToHost(value: unknown): value is WorkerToHost {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
}
