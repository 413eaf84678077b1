// The one retry policy of every process that reaches the service (the app, `modeldl serve`, the CLI):
// how often it tries again to own the state folder or connect to its owner, and how long it waits.
import { LOCK_STALE_MS } from './owner-lock'

export const LINK_RETRY = {
  /** The first try after the owner went away is at once (it may have released the lock cleanly). */
  firstDelayMs: 100,
  /** Each failed try doubles the wait, up to this. */
  maxDelayMs: 1_000,
  /** How long an owner may take to accept a connection on its socket. */
  connectTimeoutMs: 2_000,
} as const

/** The wait before try number `failures + 1`, after `failures` failed tries in a row (0: at once). */
export function retryDelayMs(failures: number): number {
  if (failures <= 0) return 0
  return Math.min(LINK_RETRY.maxDelayMs, LINK_RETRY.firstDelayMs * 2 ** (failures - 1))
}

/**
 * How long a process that must reach the service (serve, a CLI command) keeps trying before it gives
 * up: a SIGKILLed owner's lock is stale by then, so only an owner that holds the folder and never serves
 * makes it fail.
 */
export const OPEN_TIMEOUT_MS = LOCK_STALE_MS + 5_000

/**
 * At the latest this long after its owner is SIGKILLed, a link that follows it has the state folder:
 * the lock goes stale, then the next try (at most one maximal wait later) takes it. Opening the queue
 * (reading the state, checking the disk) comes on top.
 */
export const TAKEOVER_BOUND_MS = LOCK_STALE_MS + LINK_RETRY.maxDelayMs
