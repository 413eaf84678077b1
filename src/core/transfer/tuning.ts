import type { S3Settings, TransferTuning } from '../../shared/transfer'
import { resolveEndpoint } from './s3-endpoint'

/** Parallel ranged GETs per file when the setting is 0 (automatic). */
export const REMOTE_CONNECTIONS = 4
export const LOCAL_CONNECTIONS = 1

function isLoopback(endpoint: string | undefined): boolean {
  if (!endpoint) return false
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '')
    return host === 'localhost' || host === '::1' || /^127\./.test(host)
  } catch {
    return false
  }
}

/**
 * Fills in automatic settings. The benchmark (bench/) shows two regimes: a server on this machine
 * shares the CPU with us, and one stream costs the least CPU (several parts were slower against both
 * s3rver and nginx); a remote store is latency-bound, and several connections per file win there.
 */
export function resolveTuning(
  tuning: TransferTuning,
  s3: S3Settings,
  env: Record<string, string | undefined> = process.env,
): TransferTuning {
  if (tuning.connectionsPerFile > 0) return tuning
  const local = isLoopback(resolveEndpoint(s3, env))
  return { ...tuning, connectionsPerFile: local ? LOCAL_CONNECTIONS : REMOTE_CONNECTIONS }
}
