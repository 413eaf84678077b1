/**
 * Splits a byte stream into newline-terminated lines without ever holding more than `maxLineBytes` of
 * an unfinished line: a peer that never sends a newline costs a bounded amount of memory, not all of it.
 * Lines are decoded only once complete, so a multi-byte character split across chunks stays intact.
 */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private overflowed = false

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  /** False once a line was too long: the caller should drop the connection, the rest is unframed. */
  push(chunk: Buffer): boolean {
    if (this.overflowed) return false
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(0x0a, start)
      if (nl === -1) break
      const part = chunk.subarray(start, nl)
      if (this.pendingBytes + part.length > this.maxLineBytes) return this.overflow()
      const line = this.pendingBytes === 0 ? part : Buffer.concat([...this.pending, part])
      this.pending = []
      this.pendingBytes = 0
      start = nl + 1
      this.onLine(line.toString('utf8'))
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start)
      if (this.pendingBytes + rest.length > this.maxLineBytes) return this.overflow()
      this.pending.push(rest)
      this.pendingBytes += rest.length
    }
    return true
  }

  private overflow(): false {
    this.pending = []
    this.pendingBytes = 0
    this.overflowed = true
    this.onOverflow()
    return false
  }
}
