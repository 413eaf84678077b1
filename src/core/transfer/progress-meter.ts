import type { TransferPhase, TransferProgress } from '../../shared/transfer'

const SAMPLE_MS = 500
const SMOOTHING = 0.3

/**
 * Turns byte counts into progress events: a smoothed speed, an ETA, and at most one event per
 * `intervalMs` (phase changes go out at once). Bytes resumed from disk do not count as speed.
 */
export class ProgressMeter {
  private phase: TransferPhase = 'head'
  private done = 0
  private total = 0
  private speed = 0
  private sampleAt = performance.now()
  private sampleDone = 0
  private lastEmit = 0

  constructor(
    private readonly id: string,
    private readonly emit: (p: TransferProgress) => void,
    private readonly intervalMs = 250,
  ) {}

  start(total: number, resumed: number): void {
    this.total = total
    this.done = resumed
    this.sampleDone = resumed
    this.sampleAt = performance.now()
  }

  setPhase(phase: TransferPhase): void {
    this.phase = phase
    this.send()
  }

  add(bytes: number): void {
    this.done += bytes
    const now = performance.now()
    if (now - this.sampleAt >= SAMPLE_MS) {
      const instant = ((this.done - this.sampleDone) * 1000) / (now - this.sampleAt)
      this.speed = this.speed === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * this.speed
      this.sampleAt = now
      this.sampleDone = this.done
    }
    if (now - this.lastEmit >= this.intervalMs) this.send()
  }

  snapshot(): TransferProgress {
    const left = this.total - this.done
    return {
      id: this.id,
      phase: this.phase,
      bytesDone: this.done,
      totalBytes: this.total,
      speedBps: Math.round(this.speed),
      etaSeconds: this.speed > 0 ? Math.ceil(left / this.speed) : left === 0 ? 0 : null,
    }
  }

  private send(): void {
    this.lastEmit = performance.now()
    this.emit(this.snapshot())
  }
}
