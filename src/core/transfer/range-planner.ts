import type { ByteRanges } from './byte-ranges'

export interface PlannedRange {
  start: number
  end: number
}

/**
 * Splits what is still missing of an object into ranges for parallel GETs. With one connection the
 * gaps are fetched whole: against a server that pays per request (s3rver here) one long stream wins.
 */
export function planRanges(
  size: number,
  done: ByteRanges,
  partSize: number,
  connections: number,
): PlannedRange[] {
  const gaps = done.missing(size)
  if (connections <= 1) return gaps.map(([start, end]) => ({ start, end }))
  const out: PlannedRange[] = []
  for (const [gapStart, gapEnd] of gaps) {
    for (let start = gapStart; start < gapEnd; start += partSize) {
      out.push({ start, end: Math.min(gapEnd, start + partSize) })
    }
  }
  return out
}
