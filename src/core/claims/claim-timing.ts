// How often a holder beats, when a claim counts as stale, how often followers look. Stated in one
// place because the README promises them; environment variables shorten them for tests.
export interface ClaimTiming {
  heartbeatMs: number
  /** A claim whose heartbeat did not move for this long (by the follower's clock) is taken over. */
  staleMs: number
  followPollMs: number
  /** How long a holder waits for its followers to read how the file was verified before it releases. */
  lingerMs: number
}

export const DEFAULT_CLAIM_TIMING: ClaimTiming = {
  heartbeatMs: 1_000,
  staleMs: 15_000,
  followPollMs: 1_000,
  lingerMs: 3_000,
}

/** MODELDL_CLAIM_STALE_SECONDS (and, derived from it, the heartbeat and the follow interval). */
export function claimTimingFromEnv(env: Record<string, string | undefined>): ClaimTiming {
  const seconds = Number(env['MODELDL_CLAIM_STALE_SECONDS'])
  if (!Number.isFinite(seconds) || seconds <= 0) return DEFAULT_CLAIM_TIMING
  const staleMs = Math.max(500, seconds * 1000)
  const beat = Math.min(DEFAULT_CLAIM_TIMING.heartbeatMs, Math.round(staleMs / 10))
  return { heartbeatMs: beat, staleMs, followPollMs: beat, lingerMs: Math.max(3 * beat, 300) }
}
