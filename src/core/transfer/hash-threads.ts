import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { ChecksumAlgorithm } from '../../shared/transfer'

/** The algorithms Node has natively, which a hashing thread can compute without our bundle. */
export const THREADABLE: ReadonlySet<ChecksumAlgorithm> = new Set(['md5-etag', 'sha1', 'sha256', 'crc32'])

// Plain CommonJS evaluated in the thread: it needs nothing but Node, so it works the same from the
// bundled worker, the CLI and the tests. Each task reads one shared file descriptor (threads share the
// fd table) from the page cache, up to what the download has written. Work goes in slices of 4 MiB,
// one task after another, each slice its own turn of the event loop: a 'drop' is answered within a
// slice (a few ms) however far a large file's hash is behind, and many small files share the thread.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { readSync } = require('node:fs')
const { createHash } = require('node:crypto')
const { crc32 } = require('node:zlib')
const SLICE = 4 * 1024 * 1024
const buf = Buffer.allocUnsafe(SLICE)
const tasks = new Map()
const ready = []
let scheduled = false
function makeHasher(a) {
  if (a === 'crc32') { let v = 0; return { update: (b) => { v = crc32(b, v) }, digest: () => v.toString(16).padStart(8, '0') } }
  const h = createHash(a === 'md5-etag' ? 'md5' : a)
  return { update: (b) => h.update(b), digest: () => h.digest('hex') }
}
function wake(id) {
  if (!ready.includes(id)) ready.push(id)
  if (!scheduled) { scheduled = true; setImmediate(slice) }
}
function slice() {
  scheduled = false
  const id = ready.shift()
  const t = tasks.get(id)
  if (t) {
    try {
      if (t.hashed < t.target) {
        const n = readSync(t.fd, buf, 0, Math.min(SLICE, t.target - t.hashed), t.hashed)
        if (n <= 0) throw new Error('could not read back byte ' + t.hashed + ' for verification')
        const view = buf.subarray(0, n)
        for (const h of t.hashers) h.update(view)
        t.hashed += n
      }
      if (t.hashed < t.target) ready.push(id)
      else if (t.finishing) {
        tasks.delete(id)
        parentPort.postMessage({ type: 'done', id, digests: t.hashers.map((h) => h.digest()) })
      }
    } catch (err) {
      tasks.delete(id)
      parentPort.postMessage({ type: 'error', id, message: String((err && err.message) || err) })
    }
  }
  if (ready.length > 0 && !scheduled) { scheduled = true; setImmediate(slice) }
}
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    tasks.set(m.id, { fd: m.fd, hashers: m.algorithms.map(makeHasher), hashed: 0, target: 0, finishing: false })
    return
  }
  if (m.type === 'drop') {
    tasks.delete(m.id)
    parentPort.postMessage({ type: 'dropped', id: m.id })
    return
  }
  const t = tasks.get(m.id)
  if (!t) return
  if (m.type === 'advance') t.target = Math.max(t.target, m.to)
  else { t.target = m.size; t.finishing = true }
  wake(m.id)
})
`

type FromThread =
  | { type: 'done'; id: number; digests: string[] }
  | { type: 'error'; id: number; message: string }
  | { type: 'dropped'; id: number }

interface Pending {
  algorithms: ChecksumAlgorithm[]
  resolve(digests: Map<ChecksumAlgorithm, string>): void
  reject(err: Error): void
  /** Waiting for the thread to confirm it let go of the task's file descriptor. */
  onDropped?: () => void
}

/** One hashing thread and the tasks it holds. */
class HashThread {
  readonly tasks = new Map<number, Pending>()
  /** Started and ready to run code (a thread takes ~50-80 ms of CPU to get there). */
  online = false
  private readonly worker: Worker
  private dead: Error | null = null

  constructor(private readonly onGone: (t: HashThread) => void) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true })
    // Idle threads do not keep the process alive; see track().
    this.worker.unref()
    this.worker.once('online', () => (this.online = true))
    this.worker.on('message', (m: FromThread) => this.receive(m))
    this.worker.on('error', (err) => this.die(err))
    this.worker.on('exit', (code) => this.die(new Error(`the hashing thread exited (code ${code})`)))
  }

  open(id: number, pending: Pending, fd: number): void {
    if (this.dead) return pending.reject(this.dead)
    this.tasks.set(id, pending)
    this.track()
    this.worker.postMessage({ type: 'open', id, fd, algorithms: pending.algorithms })
  }

  post(
    message: { type: 'advance'; id: number; to: number } | { type: 'finish'; id: number; size: number },
  ): void {
    if (!this.dead) this.worker.postMessage(message)
  }

  /** Resolves once the thread no longer reads the task's file descriptor. */
  drop(id: number): Promise<void> {
    const pending = this.tasks.get(id)
    if (!pending || this.dead) return Promise.resolve()
    return new Promise((resolve) => {
      pending.onDropped = resolve
      this.worker.postMessage({ type: 'drop', id })
    })
  }

  private receive(m: FromThread): void {
    const pending = this.tasks.get(m.id)
    if (!pending) return
    this.tasks.delete(m.id)
    this.track()
    if (m.type === 'done') pending.resolve(new Map(pending.algorithms.map((a, i) => [a, m.digests[i]!])))
    else if (m.type === 'error') pending.reject(new Error(m.message))
    else pending.reject(new Error('hash dropped'))
    pending.onDropped?.()
  }

  /** A thread with tasks keeps the process alive until they are answered. */
  private track(): void {
    if (this.tasks.size > 0) this.worker.ref()
    else this.worker.unref()
  }

  private die(err: Error): void {
    if (this.dead) return
    this.dead = err
    this.onGone(this)
    for (const pending of this.tasks.values()) {
      pending.reject(err)
      pending.onDropped?.()
    }
    this.tasks.clear()
  }
}

/**
 * Hashing threads shared by every transfer of the process, started on first use. A thread costs
 * its start (a V8 isolate: ~30 ms of CPU), so files share them instead of starting one each: one
 * per core left beside the transfers' own thread, at most four.
 */
const MAX_THREADS = Math.max(1, Math.min(4, availableParallelism() - 1))
const threads: HashThread[] = []
let nextId = 1

function pickThread(): HashThread {
  const idle = threads.find((t) => t.tasks.size === 0)
  if (idle) return idle
  if (threads.length < MAX_THREADS) {
    const t = new HashThread((gone) => {
      const i = threads.indexOf(gone)
      if (i >= 0) threads.splice(i, 1)
    })
    threads.push(t)
    return t
  }
  return threads.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a))
}

/** One file's hash on a shared thread. */
export interface HashTask {
  /** Bytes [0, to) are in the file: hash them. */
  advance(to: number): void
  /** Hash [0, size) and give each digest. */
  finish(size: number): Promise<Map<ChecksumAlgorithm, string>>
  /** Stop; resolves once the thread no longer reads the file descriptor (it may be closed then). */
  drop(): Promise<void>
}

export function startHashTask(algorithms: ChecksumAlgorithm[], fd: number): HashTask {
  const id = nextId++
  const thread = pickThread()
  const result = new Promise<Map<ChecksumAlgorithm, string>>((resolve, reject) => {
    thread.open(id, { algorithms, resolve, reject }, fd)
  })
  // Settled by finish() or drop(); never an unhandled rejection in between.
  result.catch(() => undefined)
  return {
    advance: (to) => thread.post({ type: 'advance', id, to }),
    finish(size) {
      thread.post({ type: 'finish', id, size })
      return result
    },
    drop: () => thread.drop(id),
  }
}

/** Whether a hashing thread has finished starting, so a task handed to it begins at once. */
export function hashThreadOnline(): boolean {
  return threads.some((t) => t.online)
}

/** Starts a hashing thread in the background if there is none, for the files that come next. */
export function warmHashThread(): void {
  if (threads.length === 0) pickThread()
}

/** How many hashing threads are running (tests). */
export function hashThreadCount(): number {
  return threads.length
}
