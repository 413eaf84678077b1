import type { FileHandle } from 'node:fs/promises'
import { diskFull, notWritable } from './preflight'

/**
 * The last write queued on each file. Writes to one file are issued one after another: the kernel
 * serialises them on the inode lock anyway, and thread-pool threads waiting for that lock spin on it.
 */
const fileTails = new WeakMap<FileHandle, Promise<unknown>>()

function writeInTurn(fh: FileHandle, chunks: Buffer[], offset: number): Promise<{ bytesWritten: number }> {
  const io = (fileTails.get(fh) ?? Promise.resolve()).then(() => fh.writev(chunks, offset))
  fileTails.set(
    fh,
    io.catch(() => undefined),
  )
  return io
}

/**
 * Writes batches of socket chunks at their file offsets with several writes queued for libuv's
 * thread pool (issued one at a time per file), so the socket keeps being read while earlier bytes
 * go to the page cache. Completions are reported in order, so "written up to" is always a prefix the
 * sidecar can record.
 */
export class OrderedWriter {
  private tail: Promise<void> = Promise.resolve()
  private readonly inFlight: Promise<void>[] = []
  private failure: unknown = null

  constructor(
    private readonly fh: FileHandle,
    private readonly dir: string,
    private readonly maxInFlight: number,
    private readonly onWritten: (offset: number, length: number) => void,
  ) {}

  get failed(): boolean {
    return this.failure !== null
  }

  /**
   * Queues a write; waits only when maxInFlight writes are already under way. `release` runs once the
   * bytes are no longer needed (written or failed), so their buffer can be reused.
   */
  async write(chunks: Buffer[], offset: number, length: number, release?: () => void): Promise<void> {
    if (this.failure !== null) {
      release?.()
      throw this.failure
    }
    const io = writeInTurn(this.fh, chunks, offset).then(({ bytesWritten }) => {
      if (bytesWritten !== length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
    })
    if (release) io.then(release, release)
    const done = this.tail
      .then(() => io)
      .then(
        () => this.onWritten(offset, length),
        (err: unknown) => {
          this.failure ??= translate(err, this.dir)
          throw this.failure
        },
      )
    // Keep the chain alive after a failure so later waits settle; the failure itself is remembered.
    this.tail = done.catch(() => undefined)
    this.inFlight.push(done)
    if (this.inFlight.length >= this.maxInFlight) await this.inFlight.shift()
  }

  /** Waits for every queued write; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0))
    if (this.failure !== null) throw this.failure
  }
}

function translate(err: unknown, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(dir)
  return notWritable(dir, err)
}
