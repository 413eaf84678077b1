/**
 * How many connections a host gets, decided from what they deliver: a hill climb on aggregate
 * throughput. It starts with one connection, doubles while doubling pays, and stays at the knee;
 * it halves on throttling (503 SlowDown) and on a burst of failures, and it stops climbing while
 * our own thread is saturated. Pure: it sees samples and answers with a number, so every decision
 * is tested with synthetic samples (see ConnectionGovernor for the clock and the counters).
 *
 * Why climb instead of a rule by address: a store far away caps each connection (tens of MB/s) and
 * charges a round trip per request, so throughput comes from parallel ranges; a server on this
 * machine shares our CPU, and there one stream costs the least. Both show in the samples.
 */

export interface ControllerLimits {
  /** Connections for the host at most. */
  maxConnections: number
  /** Smallest part a connection is given (also the first parts, before anything was measured). */
  minPartSize: number
  /** Largest part: the part-size setting. */
  maxPartSize: number
}

/** One interval of the host's traffic. */
export interface ThroughputSample {
  ms: number
  /** Bytes all transfers to the host received in it. */
  bytes: number
  /** Connections receiving through the whole interval (the fewest at any moment of it). */
  connections: number
  /** Share of the interval our thread was busy (event-loop utilisation, 0..1). */
  busy: number
}

/** Time a new level runs before its throughput counts: connections opening, first bytes. */
export const SETTLE_MS = 150
/** Time a level is measured for before the next decision. */
export const MEASURE_MS = 150
/**
 * Time at the knee before a step up is tried again: conditions change, and on a busy machine one
 * noisy measurement can stop a climb early. Each step that does not pay doubles the wait, up to
 * MAX_REPROBE_MS; one that pays starts it over.
 */
export const REPROBE_MS = 1_000
const MAX_REPROBE_MS = 16_000
/** Our thread this busy: more connections would only queue behind it. */
export const BUSY_LIMIT = 0.9
/**
 * Failed requests of a level above this share (and at least MIN_FAILURES) count as overload; fewer
 * are the random resets any long link has (2% of connections), which fewer connections would not cure.
 */
const FAILURE_SHARE = 0.25
const MIN_FAILURES = 3
/** A step that delivered at least this share of its promise (4 × the connections, 4 × the rate). */
const NEAR_LINEAR = 0.8
/**
 * A climbing step may go further than ×4 when our thread has room for it: the connections at which
 * the thread would reach BUSY_LIMIT if its cost grows with the connections (it grows less: part of it
 * is fixed). A far link's first connection leaves the thread nearly idle, so the climb goes there in
 * one step instead of two; a step that lands within this share of the host budget goes all the way.
 */
const HEADROOM_ROUND_UP = 0.75
/**
 * A part is sized to take about this long at the measured per-connection rate: long enough that a
 * request's round trip is a small share of it (the far-tier sweep in docs/benchmarks.md: larger parts
 * won at every connection count), short enough that a stalled one is noticed and retried soon.
 */
const PART_SECONDS = 2

interface Level {
  connections: number
  /** Bytes per ms. */
  rate: number
}

export type ControllerPhase = 'climbing' | 'settled'

export class ParallelismController {
  private target = 1
  private phase: ControllerPhase = 'climbing'
  /** Where the level began: samples before SETTLE_MS has passed do not count. */
  private levelMs = 0
  private measuredMs = 0
  private measuredBytes = 0
  private busyMs = 0
  /** The level before the current one: the climb continues only while it beats it. */
  private previous: Level | null = null
  private best: Level | null = null
  private settledMs = 0
  private reprobeAfterMs = REPROBE_MS
  /** The climb under way is a step up from the knee, not the first climb. */
  private reprobing = false
  /** The least level known not to pay over a lower one, while climbing: steps stay below it. */
  private ceiling = Infinity
  private requests = 0
  private failures = 0
  /** The level under way was measured once already (a long step's first measurement is repeated). */
  private remeasured = false

  constructor(private readonly limits: ControllerLimits) {}

  /** Connections the host may run now. */
  get connections(): number {
    return this.target
  }

  get state(): ControllerPhase {
    return this.phase
  }

  /** Bytes per second one connection delivers at the best level seen, 0 before any. */
  get perConnectionRate(): number {
    return this.best ? (this.best.rate * 1000) / this.best.connections : 0
  }

  /** A request went out (the failure share of a level is counted against these). */
  requestStarted(): void {
    this.requests++
  }

  /** The server said slow down (503 SlowDown, throttling): half as many at once, and stay there. */
  throttled(): void {
    this.moveTo(Math.max(1, Math.floor(this.target / 2)), 'settled')
    this.reprobeAfterMs = MAX_REPROBE_MS
  }

  /** A request failed for another transient reason (reset, stall, 5xx). */
  failed(): void {
    this.failures++
  }

  observe(sample: ThroughputSample): void {
    this.levelMs += sample.ms
    if (this.phase === 'settled') this.settledMs += sample.ms
    // A level not fully running (connections still opening, a file's last part) says nothing of it.
    if (this.levelMs <= SETTLE_MS || sample.connections < this.target) return
    this.measuredMs += sample.ms
    this.measuredBytes += sample.bytes
    this.busyMs += sample.busy * sample.ms
    if (this.measuredMs < MEASURE_MS) return
    this.decide(Math.max(this.target, sample.connections))
  }

  /** Bytes for the next part of a file with `remaining` bytes left and `fileConnections` running. */
  partSize(remaining: number, fileConnections: number): number {
    const { minPartSize, maxPartSize } = this.limits
    // One connection at the knee: the rest in one request (a server that pays per request wins).
    if (this.target <= 1 && this.phase === 'settled') return Math.max(remaining, minPartSize)
    const byRate = Math.floor(this.perConnectionRate * PART_SECONDS)
    const grown = Math.min(maxPartSize, Math.max(minPartSize, byRate))
    // The tail: parts small enough that the connections finish together, not one long one last.
    const share = Math.ceil(remaining / (2 * Math.max(1, fileConnections, this.target)))
    return Math.max(minPartSize, Math.min(grown, share))
  }

  private decide(level: number): void {
    const rate = this.measuredBytes / this.measuredMs
    const busy = this.busyMs / this.measuredMs
    const overloaded = this.failures >= MIN_FAILURES && this.failures > this.requests * FAILURE_SHARE
    const current: Level = { connections: level, rate }
    if (!this.best || rate > this.best.rate) this.best = current
    if (overloaded) {
      this.moveTo(Math.max(1, Math.floor(level / 2)), 'settled')
      return
    }
    // A level with a failure in it measured the retry's wait, not the level: measured again.
    if (this.failures > 0) {
      this.restartMeasure()
      return
    }
    if (this.phase === 'settled') {
      if (this.settledMs >= this.reprobeAfterMs && busy < BUSY_LIMIT && level < this.limits.maxConnections) {
        this.previous = current
        this.reprobing = true
        this.moveTo(
          Math.min(this.limits.maxConnections, level + Math.max(1, Math.floor(level / 2))),
          'climbing',
        )
      } else this.restartMeasure()
      return
    }
    const prev = this.previous
    const factor = prev ? level / prev.connections : 0
    // Doubling should nearly double the rate; a quarter of the expected gain is the least that pays.
    if (prev && rate < prev.rate * (1 + (factor - 1) / 4)) {
      this.ceiling = level
      // A long step that did not pay: the level halfway is tried before settling.
      const halfway = Math.round(prev.connections * Math.sqrt(factor))
      if (factor >= 4 && halfway > prev.connections && halfway < level) {
        this.moveTo(halfway, 'climbing')
        return
      }
      // Not slower: the extra connections stay (on a far link they cost little); slower: taken back.
      const back = rate > prev.rate * 1.03 ? level : prev.connections
      // A step up from the knee that did not pay: the next try waits twice as long.
      if (this.reprobing) this.reprobeAfterMs = Math.min(MAX_REPROBE_MS, this.reprobeAfterMs * 2)
      this.moveTo(back, 'settled')
      return
    }
    if (this.reprobing) this.reprobeAfterMs = REPROBE_MS
    // The first step, and after a step that delivered nearly all it promised: four times as many.
    const nearLinear = !prev || rate >= prev.rate * (1 + NEAR_LINEAR * (factor - 1))
    // A step longer than ×4 that paid only in part passed the knee: the connections its rate accounts
    // for (at the lower level's rate each) are tried next, and kept unless this level beats them.
    if (prev && factor > 4 && !nearLinear) {
      // So many new connections may not all have been receiving yet: measured once more first.
      if (!this.remeasured) {
        this.remeasured = true
        this.restartMeasure()
        return
      }
      const knee = Math.ceil((prev.connections * rate) / prev.rate)
      if (knee > prev.connections && knee < level) {
        this.ceiling = level
        this.previous = current
        this.moveTo(knee, 'climbing')
        return
      }
    }
    let next = Math.min(this.limits.maxConnections, level * (nearLinear ? 4 : 2))
    if (nearLinear) next = Math.max(next, this.roomFor(level, busy))
    // Below a level already found not to pay: halfway to it at most.
    if (next >= this.ceiling) next = Math.floor((level + this.ceiling) / 2)
    if (busy >= BUSY_LIMIT || next <= level) {
      this.moveTo(level, 'settled')
      return
    }
    this.previous = current
    this.moveTo(next, 'climbing')
  }

  /** Connections our thread has room for, as far as one step may go (×16 at most); 0 when none. */
  private roomFor(level: number, busy: number): number {
    const { maxConnections } = this.limits
    const room = Math.min(maxConnections, level * 16, Math.floor((level * BUSY_LIMIT) / Math.max(busy, 0.01)))
    return room >= maxConnections * HEADROOM_ROUND_UP ? maxConnections : room
  }

  private moveTo(connections: number, phase: ControllerPhase): void {
    if (phase === 'settled') {
      this.settledMs = 0
      this.reprobing = false
      this.ceiling = Infinity
    }
    this.phase = phase
    this.target = connections
    this.levelMs = 0
    this.remeasured = false
    this.restartMeasure()
  }

  private restartMeasure(): void {
    this.measuredMs = 0
    this.measuredBytes = 0
    this.busyMs = 0
    this.requests = 0
    this.failures = 0
  }
}
