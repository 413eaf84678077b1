import type { LivePart } from './range-fetcher'

/**
 * The bytes of an object no connection has taken yet, handed out front first in parts of the size
 * asked for. A part under way can be split: its end is lowered and the rest comes back here, which
 * is how a connection added mid-file (or one that finished early) gets work without a new plan.
 */
export class PartQueue {
  private readonly gaps: Array<[number, number]>

  constructor(gaps: ReadonlyArray<readonly [number, number]>) {
    this.gaps = gaps.filter(([s, e]) => e > s).map(([s, e]) => [s, e])
  }

  /** Bytes not taken yet. */
  get remaining(): number {
    return this.gaps.reduce((n, [s, e]) => n + e - s, 0)
  }

  /** The next part, at most `maxBytes` long (Infinity: the whole next gap); null when none is left. */
  take(maxBytes: number): LivePart | null {
    const gap = this.gaps[0]
    if (!gap) return null
    const [start, gapEnd] = gap
    const end = Math.min(gapEnd, start + Math.max(1, Math.floor(maxBytes)))
    if (end >= gapEnd) this.gaps.shift()
    else gap[0] = end
    return { start, end, received: 0 }
  }

  /**
   * Leaves `part` `keep` more bytes beyond what it has received and queues the rest; false (nothing
   * changed) when the rest would be shorter than `minRest`.
   */
  split(part: LivePart, keep: number, minRest: number): boolean {
    const at = part.start + part.received + Math.max(0, Math.floor(keep))
    if (part.end - at < Math.max(1, minRest)) return false
    const i = this.gaps.findIndex(([s]) => s > at)
    this.gaps.splice(i === -1 ? this.gaps.length : i, 0, [at, part.end])
    part.end = at
    return true
  }
}

/** Bytes a part still has to receive. */
export function partLeft(part: LivePart): number {
  return part.end - part.start - part.received
}
