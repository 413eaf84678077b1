import { writevSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { diskFull, notWritable } from './preflight'

/**
 * Writes are made synchronously, on the event loop, while the page cache takes them at once; a file
 * with SLOW_WRITES_TO_POOL writes that each blocked longer than SLOW_WRITE_MS (the kernel throttling
 * a slow disk, a network file system) goes to the thread pool for good, so a slow disk does not
 * stall the other transfers' sockets. One slow write is forgiven: the periodic datasync for the
 * resume data makes ext4 commit its journal, and a write that lands in the commit waits for it
 * (40-80 ms seen, once or twice per GiB).
 *
 * Why not the thread pool always: a download's batches are written one after another (see
 * writeInTurn), each a round trip through the pool and back to the event loop, and those round
 * trips, not the socket, set the pace (docs/benchmarks.md, "Measurements behind the engine's
 * choices").
 */
const SLOW_WRITE_MS = 20
const SLOW_WRITES_TO_POOL = 3

/** Slow synchronous writes per file; at SLOW_WRITES_TO_POOL its writes go to the thread pool. */
const slowWrites = new WeakMap<FileHandle, number>()

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
 * Writes batches of socket chunks at their file offsets: synchronously while that is fast (see
 * SLOW_WRITE_MS), else with several writes queued for libuv's thread pool (issued one at a time per
 * file), so the socket keeps being read while earlier bytes go to the page cache. Completions are
 * reported in order, so "written up to" is always a prefix the sidecar can record.
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
    /** The clock that times synchronous writes (tests make writes look slow with it). */
    private readonly now: () => number = () => performance.now(),
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
    // Direct only with nothing of this writer still queued, so completions stay in order.
    if ((slowWrites.get(this.fh) ?? 0) < SLOW_WRITES_TO_POOL && this.inFlight.length === 0)
      return this.writeNow(chunks, offset, length, release)
    const io = writeInTurn(this.fh, chunks, offset).then(({ bytesWritten }) => {
      if (bytesWritten !== length) throw shortWrite()
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

  private writeNow(chunks: Buffer[], offset: number, length: number, release?: () => void): void {
    const started = this.now()
    try {
      const written = writevSync(this.fh.fd, chunks, offset)
      if (this.now() - started > SLOW_WRITE_MS) slowWrites.set(this.fh, (slowWrites.get(this.fh) ?? 0) + 1)
      if (written !== length) throw shortWrite()
    } catch (err) {
      this.failure ??= translate(err, this.dir)
      throw this.failure
    } finally {
      release?.()
    }
    this.onWritten(offset, length)
  }

  /** Waits for every queued write; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0))
    if (this.failure !== null) throw this.failure
  }
}

/** A write that took fewer bytes than given: the disk filled up under it. */
function shortWrite(): Error {
  return Object.assign(new Error('short write'), { code: 'ENOSPC' })
}

function translate(err: unknown, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(dir)
  return notWritable(dir, err)
}
