/** A set of half-open byte ranges [start, end), kept sorted and merged. */
export class ByteRanges {
  private ranges: Array<[number, number]> = []

  constructor(initial: ReadonlyArray<readonly [number, number]> = []) {
    for (const [s, e] of initial) this.add(s, e)
  }

  add(start: number, end: number): void {
    if (end <= start) return
    const out: Array<[number, number]> = []
    let merged: [number, number] = [start, end]
    let placed = false
    for (const r of this.ranges) {
      if (r[1] < merged[0]) out.push(r)
      else if (r[0] > merged[1]) {
        if (!placed) {
          out.push(merged)
          placed = true
        }
        out.push(r)
      } else merged = [Math.min(r[0], merged[0]), Math.max(r[1], merged[1])]
    }
    if (!placed) out.push(merged)
    this.ranges = out
  }

  /** Total bytes covered. */
  total(): number {
    return this.ranges.reduce((n, [s, e]) => n + e - s, 0)
  }

  /** End of the run of covered bytes that starts at `from` (== from when `from` is not covered). */
  contiguousEnd(from: number): number {
    for (const [s, e] of this.ranges) if (s <= from && from < e) return e
    return from
  }

  /** The gaps of [0, size) not yet covered. */
  missing(size: number): Array<[number, number]> {
    const gaps: Array<[number, number]> = []
    let pos = 0
    for (const [s, e] of this.ranges) {
      if (s > pos) gaps.push([pos, Math.min(s, size)])
      pos = Math.max(pos, e)
    }
    if (pos < size) gaps.push([pos, size])
    return gaps.filter(([s, e]) => e > s)
  }

  toJSON(): Array<[number, number]> {
    return this.ranges.map(([s, e]) => [s, e])
  }
}
