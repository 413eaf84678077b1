/** What one save does: data first, then the record of it. */
export interface ResumeSaveSteps<R> {
  /** What is in `.part` now: taken before the datasync, so the sidecar never claims later bytes. */
  record(): R
  /** fdatasync of the `.part` file. */
  datasync(): Promise<void>
  /** Writes the sidecar (atomically) with that record. */
  writeSidecar(record: R): Promise<void>
}

/**
 * A transfer's saves of its resume data (when: see SaveSchedule). Each is a datasync of `.part`, then
 * the sidecar, so a sidecar never claims bytes a power cut could lose; saves run one after another.
 *
 * A cancel calls abandon(): from then on no sidecar is written, and it waits for a sidecar write
 * already under way (milliseconds), so that once the cancel has removed the files none reappears,
 * not even for a moment after the transfer reported "cancelled". A datasync under way is not waited
 * for: it can take seconds on a large file, and the cancel must take effect at once.
 */
export class ResumeSaves<R> {
  private chain: Promise<void> = Promise.resolve()
  private writing: Promise<void> | null = null
  private abandoned = false
  private wrote: boolean

  constructor(
    private readonly steps: ResumeSaveSteps<R>,
    /** Whether a sidecar exists already (a resumed transfer's). */
    sidecarExists: boolean,
    /** A failed save is reported here; the transfer goes on, and the next save tries again. */
    private readonly onError: (err: unknown) => void,
  ) {
    this.wrote = sidecarExists
  }

  /** Whether a sidecar was written (or was there already): the commit must remove it. */
  get sidecarWritten(): boolean {
    return this.wrote
  }

  /** Queues a save behind any under way; resolves once it settled (its error went to onError). */
  save(): Promise<void> {
    this.chain = this.chain
      .then(async () => {
        const record = this.steps.record()
        await this.steps.datasync()
        if (this.abandoned) return
        const write = this.steps.writeSidecar(record)
        this.writing = write
        try {
          await write
          this.wrote = true
        } finally {
          this.writing = null
        }
      })
      .catch((err: unknown) => this.onError(err))
    return this.chain
  }

  /** Resolves once every save queued so far has settled. */
  settled(): Promise<void> {
    return this.chain
  }

  /** No sidecar is written from now on; resolves once a sidecar write under way has ended. */
  async abandon(): Promise<void> {
    this.abandoned = true
    await this.writing?.catch(() => undefined)
  }
}
