// The queue's state machine: what each event does to a record in each state, and which effects follow.
// Pure (no I/O, no timers, no clock of its own): DownloadService applies the patch and carries out the
// effects. Every status change of a record goes through `next`, so the table below is the whole story.
import type { ModelRecord, ModelStatus } from '../../shared/service-contract'

export type QueueEvent =
  /** The scheduler hands the record to the worker. */
  | { type: 'start' }
  /** The worker verified and committed the file. */
  | { type: 'verified'; verifiedBy: string[]; etag: string; objectLastModified?: string; fetchedBy?: string }
  /** The worker gave up on this attempt. */
  | { type: 'failed'; code: string; message: string; retryable: boolean }
  /** The worker confirmed a stop it was asked for (or stopped for a reason of its own). */
  | { type: 'stopped' }
  | { type: 'cancel' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retry' }
  /** The worker is stopping (stopWorker, close): running downloads go back to the queue, `.part` kept. */
  | { type: 'requeue' }
  /** A link's target is installed and the link was made. */
  | { type: 'link-made'; verifiedBy: string[] }
  /** A link could not be made, or its target failed or is not there. */
  | { type: 'link-failed'; code: string; message: string }
  /** The disk says a completed file is gone or no longer the size it was. */
  | { type: 'file-gone'; reason: string }

export type QueueEventType = QueueEvent['type']

export type Effect =
  /** Ask the worker to stop this job and keep its `.part` (pause, requeue). */
  | { kind: 'stop-job' }
  /** Stop the job if it runs, and remove the partial file (cancel). */
  | { kind: 'discard' }
  | { kind: 'schedule-retry'; delayMs: number }
  | { kind: 'clear-retry' }
  /** Leave the queue order (the record ended). */
  | { kind: 'leave-queue' }
  /** Join the queue at its end (a retry; a resumed record keeps its place). */
  | { kind: 'join-queue' }
  /** Links waiting for this record can be made now. */
  | { kind: 'settle-links' }
  /** Links waiting for this record fail with it. */
  | { kind: 'fail-links'; message: string }
  /** Drop the record: nothing of it is true any more. */
  | { kind: 'forget' }

export interface Transition {
  status: ModelStatus
  /** Fields to set; `undefined` deletes the field. */
  patch: Partial<ModelRecord>
  effects: Effect[]
}

export interface MachineContext {
  now: string
  maxAutoRetries: number
  /** First automatic retry's delay; each next one doubles. */
  retryDelayMs: number
}

/**
 * The transition table: state → event → next state. An event missing from a state's row is ignored in
 * that state (a late report from a job whose record already moved on). `failed` from `progress` leads
 * to `queued` while automatic retries remain (the error is transient), else to `failed`.
 *
 * Races it settles:
 * - cancel during verify, cancel racing completion: `cancelled` ignores `verified` (cancel wins in
 *   the record; if the rename had already happened the file is complete, and the disk shows it so).
 * - pause while finishing: `paused` takes `verified` (the file is complete: nothing to resume).
 * - resume before the worker confirmed the pause: `queued` takes the late `stopped` and stays queued.
 */
export const TRANSITIONS: Readonly<Record<ModelStatus, Partial<Record<QueueEventType, ModelStatus>>>> = {
  queued: {
    start: 'progress',
    cancel: 'cancelled',
    pause: 'paused',
    // A requeued job that finished before it heard the request to stop.
    verified: 'completed',
    stopped: 'queued',
    'link-made': 'completed',
    'link-failed': 'failed',
  },
  progress: {
    verified: 'completed',
    failed: 'failed', // or 'queued' with retries left: see next()
    stopped: 'queued',
    cancel: 'cancelled',
    pause: 'paused',
    requeue: 'queued',
  },
  paused: {
    resume: 'queued',
    cancel: 'cancelled',
    verified: 'completed',
    stopped: 'paused',
  },
  completed: {
    'file-gone': 'completed', // and forgotten: see next()
  },
  failed: {
    retry: 'queued',
  },
  cancelled: {
    retry: 'queued',
  },
}

const ENDED = { phase: undefined, fetchedBy: undefined, speedBps: 0, etaSeconds: null } as const
/** No automatic retry is pending (an attempt started, or the user or the end decided instead). */
const NO_RETRY = { retryAt: undefined, retryLimit: undefined } as const

/** What `event` does to `record`, or null when the event does not apply in its state. */
export function next(
  record: Readonly<ModelRecord>,
  event: QueueEvent,
  ctx: MachineContext,
): Transition | null {
  const to = TRANSITIONS[record.status][event.type]
  if (to === undefined) return null
  const t = (status: ModelStatus, patch: Partial<ModelRecord>, effects: Effect[] = []): Transition => ({
    status,
    patch: { ...patch, status },
    effects,
  })
  const finished = { ...ENDED, finishedAt: ctx.now }
  switch (event.type) {
    case 'start':
      return t(to, {
        attempts: record.attempts + 1,
        startedAt: record.startedAt ?? ctx.now,
        fetchedBy: undefined,
        errorCode: undefined,
        errorMessage: undefined,
        ...NO_RETRY,
      })
    case 'verified':
      return t(
        to,
        {
          ...finished,
          downloaded: record.totalSize || record.expectedSize,
          etag: event.etag,
          objectLastModified: event.objectLastModified,
          verifiedBy: event.verifiedBy,
          fetchedBy: event.fetchedBy,
          errorCode: undefined,
          errorMessage: undefined,
          ...NO_RETRY,
        },
        [{ kind: 'leave-queue' }, { kind: 'settle-links' }],
      )
    case 'failed': {
      const error = { errorCode: event.code, errorMessage: event.message }
      if (event.retryable && record.autoRetries < ctx.maxAutoRetries) {
        const delayMs = ctx.retryDelayMs * 2 ** record.autoRetries
        // When and how many: what a view needs to say "retrying in N s (attempt k of n)".
        const retryAt = new Date(Date.parse(ctx.now) + delayMs).toISOString()
        return t(
          'queued',
          {
            ...ENDED,
            ...error,
            autoRetries: record.autoRetries + 1,
            retryAt,
            retryLimit: ctx.maxAutoRetries,
          },
          [{ kind: 'schedule-retry', delayMs }],
        )
      }
      return t(to, { ...finished, ...error, ...NO_RETRY }, [
        { kind: 'leave-queue' },
        { kind: 'fail-links', message: event.message },
      ])
    }
    case 'stopped':
    case 'requeue':
      return t(to, ENDED, event.type === 'requeue' ? [{ kind: 'stop-job' }] : [])
    case 'pause':
      return t(to, { ...ENDED, ...NO_RETRY }, [{ kind: 'clear-retry' }, { kind: 'stop-job' }])
    case 'resume':
      return t(to, {})
    case 'cancel':
      // The partial file goes, so the record keeps no bytes: a view shows no partial bar.
      return t(to, { ...finished, ...NO_RETRY, downloaded: 0 }, [
        { kind: 'clear-retry' },
        { kind: 'discard' },
        { kind: 'leave-queue' },
      ])
    case 'retry':
      return t(
        to,
        { autoRetries: 0, errorCode: undefined, errorMessage: undefined, finishedAt: undefined, ...NO_RETRY },
        [{ kind: 'join-queue' }],
      )
    case 'link-made':
      return t(
        to,
        {
          ...finished,
          downloaded: record.expectedSize,
          totalSize: record.expectedSize,
          verifiedBy: event.verifiedBy,
        },
        [{ kind: 'leave-queue' }],
      )
    case 'link-failed':
      return t(to, { ...finished, errorCode: event.code, errorMessage: event.message }, [
        { kind: 'leave-queue' },
      ])
    case 'file-gone':
      return t(to, {}, [{ kind: 'forget' }])
  }
}
