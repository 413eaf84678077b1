import { type Stats, type StatsFs, fstatSync, lstatSync, renameSync, statfsSync } from 'node:fs'
import { lstat, rename, statfs } from 'node:fs/promises'

/**
 * The file-metadata calls of a transfer (lstat, fstat, statfs, rename), made synchronously while
 * they are fast, the way OrderedWriter makes its writes.
 *
 * Why: a small file's transfer is mostly such calls. Each one through libuv's thread pool costs the
 * event loop ~70 µs here (a request object, a promise, a wake-up of a pool thread and one back),
 * against ~10-20 µs for the system call itself; and an lstat that finds nothing, the usual answer
 * for a fresh download, also builds an Error with its stack. For 200 files of 1 MiB that was ~0.8 ms
 * of the worker's busy thread per file.
 *
 * A call that blocks longer than SLOW_CALL_MS (a network file system, a disk under heavy writeback)
 * counts; after SLOW_CALLS_TO_POOL of them every later call goes to the thread pool, so a slow file
 * system does not stall the other transfers' sockets for the rest of the worker's life.
 */
const SLOW_CALL_MS = 20
const SLOW_CALLS_TO_POOL = 3

let slowCalls = 0

function quick(): boolean {
  return slowCalls < SLOW_CALLS_TO_POOL
}

function timed<T>(call: () => T): T {
  const started = performance.now()
  try {
    return call()
  } finally {
    if (performance.now() - started > SLOW_CALL_MS) slowCalls++
  }
}

/** lstat, or null when nothing is there (ENOENT); other errors are thrown. */
export async function lstatIfExists(path: string): Promise<Stats | null> {
  if (quick()) return timed(() => lstatSync(path, { throwIfNoEntry: false }) ?? null)
  return lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
}

export async function statfsOf(path: string): Promise<StatsFs> {
  return quick() ? timed(() => statfsSync(path)) : statfs(path)
}

/** The size of an open file, by its descriptor. */
export async function sizeOfOpenFile(fh: { fd: number; stat(): Promise<Stats> }): Promise<number> {
  return quick() ? timed(() => fstatSync(fh.fd).size) : (await fh.stat()).size
}

export async function renameFile(from: string, to: string): Promise<void> {
  return quick() ? timed(() => renameSync(from, to)) : rename(from, to)
}

/** Counts as if `n` calls had been slow (tests: the thread-pool path). */
export function markMetadataCallsSlow(n = SLOW_CALLS_TO_POOL): void {
  slowCalls += n
}

/** Back to synchronous calls (tests). */
export function resetMetadataCalls(): void {
  slowCalls = 0
}
