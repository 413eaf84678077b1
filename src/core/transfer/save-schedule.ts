/**
 * When a transfer saves its resume data: a datasync of the `.part` file, then the sidecar.
 *
 * Every `intervalMs` of writing, so that a killed process loses at most about that long of transfer.
 * And, when no save is under way, once `writebackBytes` were written since the last one began: the
 * datasync then makes the disk write while the network delivers, and the final fsync has little
 * left. Without it a fast link fills the page cache with the whole file (Linux starts writing back
 * only past dirty_background_ratio), and the commit waited for all of it after the last byte came
 * (docs/benchmarks.md, "Measurements behind the engine's choices").
 */
export class SaveSchedule {
  private lastStart: number
  private writtenSinceStart = 0
  /** Saves begun and not yet settled (a timed save may queue behind one under way). */
  private pending = 0

  constructor(
    private readonly intervalMs: number,
    private readonly writebackBytes: number,
    now: number = performance.now(),
  ) {
    this.lastStart = now
  }

  /** Counts `bytes` just written; true when a save should begin now (the caller then calls began). */
  wrote(bytes: number, now: number = performance.now()): boolean {
    this.writtenSinceStart += bytes
    if (now - this.lastStart >= this.intervalMs) return true
    return this.pending === 0 && this.writtenSinceStart >= this.writebackBytes
  }

  began(now: number = performance.now()): void {
    this.lastStart = now
    this.writtenSinceStart = 0
    this.pending++
  }

  /** One save that began has settled (saved or failed). */
  settled(): void {
    this.pending = Math.max(0, this.pending - 1)
  }
}
