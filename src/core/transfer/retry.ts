import { setTimeout as sleep } from 'node:timers/promises'
import { TransferStopped, stopReasonOf } from './errors'

/**
 * Exponential backoff with jitter: 200 ms, 400 ms, 800 ms… capped at 10 s, each drawn from the upper
 * half of its window so that many clients retrying together spread out.
 */
export function backoffDelay(failures: number): number {
  const backoff = Math.min(10_000, 200 * 2 ** Math.max(0, failures - 1))
  return backoff / 2 + Math.random() * (backoff / 2)
}

/** Sleeps before a retry; a pause or cancel during the wait ends it at once. */
export async function waitBeforeRetry(failures: number, signal: AbortSignal): Promise<number> {
  const delay = backoffDelay(failures)
  try {
    await sleep(delay, undefined, { signal })
  } catch {
    throw new TransferStopped(stopReasonOf(signal))
  }
  return delay
}
