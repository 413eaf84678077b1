import type { FileHandle } from 'node:fs/promises'
import { throwIfStopped } from './errors'
import type { ChecksumAlgorithm } from '../../shared/transfer'
import { createHasher, type Hasher } from './checksum'

const READ_CHUNK = 4 * 1024 * 1024

/**
 * Hashes a file that is being written out of order, reading as little back as possible.
 * Bytes that arrive exactly at the hash frontier are hashed from memory as they come (a single
 * stream never re-reads anything); bytes written elsewhere are read back from the page cache once
 * everything before them is on disk, in the background while the download goes on.
 */
export class SequentialHasher {
  private frontier = 0
  private catchUp: Promise<void> = Promise.resolve()
  private catchUpTarget = 0
  private failure: unknown = null
  /** Bytes that had to be read back from disk. */
  bytesReRead = 0

  private readonly hashers: Hasher[]

  constructor(
    algorithms: ChecksumAlgorithm[],
    private readonly fh: FileHandle,
    private readonly signal: AbortSignal,
  ) {
    this.hashers = algorithms.map(createHasher)
  }

  get enabled(): boolean {
    return this.hashers.length > 0
  }

  /** Live data at `offset` (before or after it is written: it is the same bytes). */
  feed(offset: number, chunk: Uint8Array): void {
    if (!this.enabled || offset !== this.frontier || this.catchUpTarget > this.frontier) return
    for (const h of this.hashers) h.update(chunk)
    this.frontier += chunk.length
  }

  /** Everything in [frontier, writtenEnd) is on disk: hash it from there, in the background. */
  advanceTo(writtenEnd: number): void {
    if (!this.enabled || writtenEnd <= Math.max(this.frontier, this.catchUpTarget)) return
    this.catchUpTarget = writtenEnd
    this.catchUp = this.catchUp
      .then(() => this.readBack(writtenEnd))
      .catch((err: unknown) => {
        this.failure ??= err
      })
  }

  /** Waits until the hash covers [0, size) and returns each digest. */
  async finish(size: number): Promise<Map<ChecksumAlgorithm, string>> {
    this.advanceTo(size)
    await this.catchUp
    if (this.failure) throw this.failure
    const out = new Map<ChecksumAlgorithm, string>()
    for (const h of this.hashers) out.set(h.algorithm, await h.digestHex())
    return out
  }

  async dispose(): Promise<void> {
    await this.catchUp
  }

  private async readBack(end: number): Promise<void> {
    const buf = Buffer.allocUnsafe(READ_CHUNK)
    while (this.frontier < end) {
      throwIfStopped(this.signal)
      const want = Math.min(READ_CHUNK, end - this.frontier)
      const { bytesRead } = await this.fh.read(buf, 0, want, this.frontier)
      if (bytesRead <= 0)
        throw new Error(`Could not read back ${want} bytes at ${this.frontier} for verification`)
      const view = buf.subarray(0, bytesRead)
      for (const h of this.hashers) h.update(view)
      this.frontier += bytesRead
      this.bytesReRead += bytesRead
    }
  }
}
