// One wording for a download that waits for its automatic retry, for the window and the terminal
// alike: "retrying in 4 s (attempt 2 of 4): <reason>". The service sets retryAt and retryLimit when it
// schedules the retry (core/service/queue-machine.ts); a view only needs the clock.
import type { ModelRecord } from './service-contract'

export interface RetryNotice {
  /** Whole seconds until the next attempt (0 once it is due). */
  seconds: number
  /** The attempt that comes next: the first try was attempt 1. */
  attempt: number
  /** Attempts in all: the first try and every automatic retry. */
  of: number
  /** Why the last attempt failed. */
  reason: string
}

type RetryFields = Pick<
  ModelRecord,
  'status' | 'retryAt' | 'retryLimit' | 'autoRetries' | 'errorMessage' | 'errorCode'
>

/** The pending automatic retry of a queued record, or undefined when none is scheduled. */
export function retryNotice(record: RetryFields, nowMs: number): RetryNotice | undefined {
  if (record.status !== 'queued' || record.retryAt === undefined) return undefined
  const due = Date.parse(record.retryAt)
  if (Number.isNaN(due)) return undefined
  return {
    seconds: Math.max(0, Math.ceil((due - nowMs) / 1000)),
    attempt: record.autoRetries + 1,
    of: (record.retryLimit ?? record.autoRetries) + 1,
    reason: record.errorMessage ?? record.errorCode ?? 'the last attempt failed',
  }
}

/** "retrying in 4 s (attempt 2 of 4)", or "retrying now (…)" once it is due. */
export function describeRetryWait(notice: RetryNotice): string {
  const when = notice.seconds > 0 ? `in ${notice.seconds.toLocaleString('en-US')} s` : 'now'
  return `retrying ${when} (attempt ${notice.attempt} of ${notice.of})`
}

/** The whole line: "retrying in 4 s (attempt 2 of 4): reason". */
export function describeRetry(notice: RetryNotice): string {
  return `${describeRetryWait(notice)}: ${notice.reason}`
}
