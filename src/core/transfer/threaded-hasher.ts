import { Worker } from 'node:worker_threads'
import type { ChecksumAlgorithm } from '../../shared/transfer'
import { TransferStopped, stopReasonOf } from './errors'

/** The algorithms Node has natively, which the hashing thread can compute without our bundle. */
export const THREADABLE: ReadonlySet<ChecksumAlgorithm> = new Set(['md5-etag', 'sha1', 'sha256', 'crc32'])

// Plain CommonJS evaluated in the thread: it needs nothing but Node, so it works the same from the
// bundled worker, the CLI and the tests. It reads the shared file descriptor (threads share the fd
// table) up to the frontier the download has written, from the page cache.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { readSync } = require('node:fs')
const { createHash } = require('node:crypto')
const { crc32 } = require('node:zlib')
const hashers = workerData.algorithms.map((a) => {
  if (a === 'crc32') { let v = 0; return { update: (b) => { v = crc32(b, v) }, digest: () => v.toString(16).padStart(8, '0') } }
  const h = createHash(a === 'md5-etag' ? 'md5' : a)
  return { update: (b) => h.update(b), digest: () => h.digest('hex') }
})
const buf = Buffer.allocUnsafe(4 * 1024 * 1024)
let hashed = 0, target = 0, finishing = false
parentPort.on('message', (m) => {
  if (m.type === 'advance') target = Math.max(target, m.to)
  else { target = m.size; finishing = true }
  try {
    while (hashed < target) {
      const n = readSync(workerData.fd, buf, 0, Math.min(buf.length, target - hashed), hashed)
      if (n <= 0) throw new Error('could not read back byte ' + hashed + ' for verification')
      const view = buf.subarray(0, n)
      for (const h of hashers) h.update(view)
      hashed += n
    }
    if (finishing) parentPort.postMessage({ type: 'done', digests: hashers.map((h) => h.digest()) })
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err && err.message || err) })
  }
})
`

/**
 * Verifies a download on a second thread, so that hashing (MD5 alone costs ~2 CPU-s per GiB here)
 * runs beside the socket reads and file writes instead of after or between them. It re-reads the
 * written bytes from the page cache as the contiguous written prefix grows.
 */
export class ThreadedHasher {
  private readonly worker: Worker
  private posted = 0
  private readonly result: Promise<Map<ChecksumAlgorithm, string>>
  /** Every byte is read back from the page cache (set when the hash is finished). */
  bytesReRead = 0

  constructor(
    algorithms: ChecksumAlgorithm[],
    fd: number,
    private readonly signal: AbortSignal,
  ) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { algorithms, fd } })
    this.result = new Promise((resolve, reject) => {
      this.worker.on(
        'message',
        (m: { type: 'done'; digests: string[] } | { type: 'error'; message: string }) => {
          if (m.type === 'done') resolve(new Map(algorithms.map((a, i) => [a, m.digests[i]!])))
          else reject(new Error(m.message))
        },
      )
      this.worker.on('error', reject)
    })
    // Settled by finish() or dispose(); never an unhandled rejection in between.
    this.result.catch(() => undefined)
  }

  feed(): void {
    // Bytes are read back from the file by the thread; nothing to do with live chunks.
  }

  advanceTo(writtenEnd: number): void {
    if (writtenEnd > this.posted) {
      this.posted = writtenEnd
      this.worker.postMessage({ type: 'advance', to: writtenEnd })
    }
  }

  async finish(size: number): Promise<Map<ChecksumAlgorithm, string>> {
    this.bytesReRead = size
    this.worker.postMessage({ type: 'finish', size })
    const stopped = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(new TransferStopped(stopReasonOf(this.signal)))
      if (this.signal.aborted) onAbort()
      else this.signal.addEventListener('abort', onAbort, { once: true })
    })
    stopped.catch(() => undefined)
    try {
      return await Promise.race([this.result, stopped])
    } finally {
      await this.dispose()
    }
  }

  /** Stops the thread; it must be gone before the file descriptor it reads is closed. */
  async dispose(): Promise<void> {
    await this.worker.terminate()
  }
}
