import type { ChecksumAlgorithm } from '../../shared/transfer'
import { TransferStopped, stopReasonOf } from './errors'
import { startHashTask, type HashTask } from './hash-threads'

/**
 * The written prefix is posted to the thread in steps of this much (and at the end): one message
 * per 4 MiB instead of one per 256 KiB write; a small file posts only its finish.
 */
const ADVANCE_STEP = 4 * 1024 * 1024

/**
 * Verifies a download on a shared hashing thread (see hash-threads), so that hashing (MD5 alone is
 * a large share of a transfer's CPU) runs beside the socket reads and file writes instead of after or between
 * them. The thread re-reads the written bytes from the page cache as the contiguous prefix grows.
 */
export class ThreadedHasher {
  private readonly task: HashTask
  private posted = 0
  /** Every byte is read back from the page cache (set when the hash is finished). */
  bytesReRead = 0

  constructor(
    algorithms: ChecksumAlgorithm[],
    fd: number,
    private readonly signal: AbortSignal,
  ) {
    this.task = startHashTask(algorithms, fd)
  }

  feed(): void {
    // Bytes are read back from the file by the thread; nothing to do with live chunks.
  }

  advanceTo(writtenEnd: number): void {
    if (writtenEnd - this.posted >= ADVANCE_STEP) {
      this.posted = writtenEnd
      this.task.advance(writtenEnd)
    }
  }

  async finish(size: number): Promise<Map<ChecksumAlgorithm, string>> {
    this.bytesReRead = size
    let onAbort = (): void => undefined
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(new TransferStopped(stopReasonOf(this.signal)))
      if (this.signal.aborted) onAbort()
      else this.signal.addEventListener('abort', onAbort, { once: true })
    })
    stopped.catch(() => undefined)
    try {
      return await Promise.race([this.task.finish(size), stopped])
    } finally {
      this.signal.removeEventListener('abort', onAbort)
      await this.dispose()
    }
  }

  /** Lets go of the file: once this resolves the thread no longer reads its descriptor. */
  async dispose(): Promise<void> {
    await this.task.drop()
  }
}
