// The disk is the truth for what is installed. When a queue is opened (service start, a config loaded,
// a window attached) every record that claims bytes on disk is checked with stat: a completed file
// that is gone or changed size is forgotten (the view then shows what the disk has), and a partial
// download's byte count is what its `.part` really holds.
import pLimit from 'p-limit'
import type { ModelRecord } from '../../shared/service-contract'
import { localState } from './local/install-state'

/** Files checked at once: enough to hide a network volume's latency. */
const STATS_IN_FLIGHT = 32

export type DiskFinding =
  | { id: string; kind: 'gone'; reason: string }
  /** A resumable record whose `.part` holds this many bytes (0: none). */
  | { id: string; kind: 'partial'; bytes: number }

export async function checkOnDisk(records: readonly ModelRecord[]): Promise<DiskFinding[]> {
  const limit = pLimit(STATS_IN_FLIGHT)
  const findings = await Promise.all(records.map((r) => limit(() => check(r))))
  return findings.filter((f): f is DiskFinding => f !== null)
}

async function check(r: ModelRecord): Promise<DiskFinding | null> {
  if (r.status === 'completed') {
    const state = await localState(r.localPath, r.expectedSize)
    if (state.kind === 'installed') return null
    const reason =
      state.kind === 'wrong_size'
        ? `it is ${state.size} bytes, not ${r.expectedSize}`
        : state.kind === 'broken_link'
          ? `its link target ${state.target} is gone`
          : state.kind === 'partial'
            ? 'only a partial file is there'
            : state.kind === 'not_a_file'
              ? `a ${state.what} is there`
              : 'it is not there'
    return { id: r.id, kind: 'gone', reason }
  }
  if ((r.status === 'queued' || r.status === 'paused' || r.status === 'failed') && !r.linkTo) {
    const state = await localState(r.localPath, r.expectedSize)
    const bytes = state.kind === 'partial' ? state.bytes : 0
    return bytes === r.downloaded ? null : { id: r.id, kind: 'partial', bytes }
  }
  return null
}
