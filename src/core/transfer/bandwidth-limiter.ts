import { setTimeout as sleep } from 'node:timers/promises'

/**
 * One token bucket for every transfer in a worker, so the limit is for the whole machine, not per
 * file. Callers take tokens after receiving a chunk; while they wait they stop reading, and TCP
 * back-pressure slows the sender. The rate can change at any time; waits re-check it every 100 ms.
 */
export class BandwidthLimiter {
  private tokens = 0
  private last = performance.now()

  constructor(private bytesPerSecond = 0) {}

  get rate(): number {
    return this.bytesPerSecond
  }

  setRate(bytesPerSecond: number): void {
    this.refill()
    this.bytesPerSecond = Math.max(0, bytesPerSecond)
    this.tokens = Math.min(this.tokens, this.burst())
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.bytesPerSecond <= 0) return
    this.refill()
    this.tokens -= bytes
    while (this.tokens < 0 && this.bytesPerSecond > 0) {
      const waitMs = Math.min(100, (-this.tokens / this.bytesPerSecond) * 1000)
      await sleep(Math.max(1, waitMs), undefined, { signal })
      this.refill()
    }
  }

  private burst(): number {
    // A tenth of a second's worth: enough to smooth timer jitter, too little to overshoot the limit.
    return this.bytesPerSecond / 10
  }

  private refill(): void {
    const now = performance.now()
    if (this.bytesPerSecond > 0) {
      this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond)
    }
    this.last = now
  }
}
