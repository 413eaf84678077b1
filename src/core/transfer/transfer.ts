import { type Stats, constants } from 'node:fs'
import { type FileHandle, open, rm, unlink } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import type {
  ChecksumAlgorithm,
  TransferJob,
  TransferProgress,
  TransferResult,
  TransferTuning,
  VerifiedChecksum,
} from '../../shared/transfer'
import { lstatIfExists, renameFile, sizeOfOpenFile } from '../fs/metadata-calls'
import { syncDirShared } from '../fs/shared-dir-sync'
import type { BandwidthLimiter } from './bandwidth-limiter'
import { ByteRanges } from './byte-ranges'
import { TransferError, TransferStopped, stopReasonOf, throwIfStopped } from './errors'
import type { ObjectInfo } from './head'
import type { ObjectStore } from './object-store'
import { jobSource, type ObjectSource } from './object-source'
import type { HttpSources } from './http-source/http-sources'
import { ConfinedFolder } from './confined-folder'
import { checkDestination, checkLocalPathShape, formatBytes, notWritable, prepareFolder } from './preflight'
import { ProgressMeter } from './progress-meter'
import { fetchRange } from './range-fetcher'
import { connectionPolicy, type ConnectionPolicy } from './connection-policy'
import { fetchParts } from './parallel-fetch'
import { ResumeSaves } from './resume-saves'
import { SaveSchedule } from './save-schedule'
import { SequentialHasher } from './sequential-hasher'
import { THREADABLE, hashThreadOnline, warmHashThread } from './hash-threads'
import { ThreadedHasher } from './threaded-hasher'
import { loadSidecar, partPath, removePartFiles, saveSidecar, sidecarPath } from './sidecar'

// How much a SIGKILL can cost: at most this long of transfer is fetched again after a restart.
const SIDECAR_INTERVAL_MS = 1_000
// And once this much was written since the last save began (see SaveSchedule: the disk writes while
// the network delivers, so the final fsync does not wait for the whole file).
const WRITEBACK_BYTES = 64 * 1024 * 1024

export interface TransferContext {
  /** S3's objects: GETs and HEADs (see ObjectStore). */
  store: ObjectStore
  /** https URLs (Hugging Face, CivitAI, any server with ranges); jobs with a `url` need it. */
  http?: HttpSources
  tuning: TransferTuning
  limiter: BandwidthLimiter
  /**
   * How many connections and how large their parts: one policy per worker spans its files (see
   * connectionPolicy); without one, the transfer makes its own.
   */
  policy?: ConnectionPolicy
  /** Abort with reason 'paused' (keep `.part`) or 'cancelled' (delete it). */
  signal: AbortSignal
  onProgress?(progress: TransferProgress): void
  log?(level: 'info' | 'warn', message: string): void
}

/** Why a fetch must start over from byte zero. */
class StartOver extends Error {
  constructor(override readonly cause: TransferError) {
    super(cause.message)
  }
}

/**
 * Fetches one S3 object to `job.localPath`: HEAD, preflight, ranged GETs into `<path>.part` with a
 * resumable sidecar, verify, fsync, rename, fsync the folder. Nothing ever stands at the final path
 * unless it is complete and verified. Resolves with the result, or rejects with TransferError (failed)
 * or TransferStopped (paused: `.part` kept; cancelled: removed).
 */
export async function runTransfer(asked: TransferJob, ctx: TransferContext): Promise<TransferResult> {
  const started = performance.now()
  checkLocalPathShape(asked.localPath)
  // Every file operation below goes by the checked real folder, never again through the links above it.
  const folder = await ConfinedFolder.enter(dirname(asked.localPath), asked.roots)
  const job: TransferJob = { ...asked, localPath: folder.file(basename(asked.localPath)) }
  const meter = new ProgressMeter(job.id, (p) => ctx.onProgress?.(p))
  const source = jobSource(job, ctx)
  const object = source.name
  // The answer of a GET that stood in for the HEAD: its body is the first (and only) range.
  let opened: GetObjectCommandOutput | undefined
  try {
    throwIfStopped(ctx.signal)
    meter.setPhase('head')
    let info: ObjectInfo
    let leftovers = await findLeftovers(job.localPath)
    if (isOneFreshStream(job, ctx.tuning, leftovers)) {
      ;({ info, response: opened } = await source.open(ctx.signal, ctx.tuning.maxAttempts))
    } else info = await source.head(ctx.signal, ctx.tuning.maxAttempts)
    if (job.expectedSize !== undefined && job.expectedSize !== info.size) {
      throw new TransferError(
        'size_mismatch',
        `${object} is ${info.size} bytes but the model config expects ${job.expectedSize}: fix modelSize or the ${job.url ? 'URL' : 'S3 path'}`,
      )
    }
    await checkDestination(job.localPath)
    // A verification failure or an object that changed mid-way earns one fresh start, not more.
    for (let round = 1; ; round++) {
      const first = opened
      opened = undefined
      try {
        const result = await fetchVerifyCommit(
          { job, ctx, source, object, info, meter, started, leftovers, folder },
          first,
        )
        return { ...result, localPath: asked.localPath }
      } catch (err) {
        if (!(err instanceof StartOver) || round >= 2) throw err instanceof StartOver ? err.cause : err
        ctx.log?.('warn', `${err.message}; starting ${object} again from zero`)
        await removePartFiles(job.localPath)
        leftovers = NO_LEFTOVERS
        info = await source.head(ctx.signal, ctx.tuning.maxAttempts)
      } finally {
        // Unread if the fetch failed before its first range (free space, the .part file): closed.
        destroyBody(first)
      }
    }
  } catch (err) {
    if (err instanceof TransferStopped || ctx.signal.aborted) {
      const reason = ctx.signal.aborted ? stopReasonOf(ctx.signal) : (err as TransferStopped).reason
      if (reason === 'cancelled') await removePartFiles(job.localPath)
      throw new TransferStopped(reason)
    }
    throw err
  } finally {
    // Not consumed (a size mismatch, a bad path, a stop): its connection is closed, not left waiting.
    destroyBody(opened)
  }
}

/** Closes an answer's body (a no-op once it was read to its end). */
function destroyBody(response: GetObjectCommandOutput | undefined): void {
  ;(response?.Body as { destroy?(): void } | undefined)?.destroy?.()
}

/** What an earlier run left beside the final path: the `.part` file (or whatever stands there) and a sidecar. */
interface Leftovers {
  part: Stats | null
  sidecar: boolean
}

const NO_LEFTOVERS: Leftovers = { part: null, sidecar: false }

/** Both looked up at once; for a fresh download (neither there) nothing else is read or removed. */
async function findLeftovers(localPath: string): Promise<Leftovers> {
  const [part, sidecar] = await Promise.all([
    lstatIfExists(partPath(localPath)).catch(() => null),
    lstatIfExists(sidecarPath(localPath)).then(
      (s) => s !== null,
      () => false,
    ),
  ])
  return { part, sidecar }
}

/**
 * Whether the fetch starts with one GET of the whole object, so that GET can stand in for the HEAD:
 * automatic connections (the first stream is split when more connections pay, see fetchParts), one
 * connection per file, or an object known to fit in one part; and no resume data, whose ETag must be
 * checked before any range is planned.
 */
function isOneFreshStream(job: TransferJob, tuning: TransferTuning, leftovers: Leftovers): boolean {
  const oneStream =
    tuning.connectionsPerFile <= 1 || (job.expectedSize !== undefined && job.expectedSize <= tuning.partSize)
  return oneStream && !leftovers.sidecar
}

/** One fetch of one object: what runTransfer worked out before it. */
interface FetchPlan {
  /** Its localPath is in the checked real folder. */
  job: TransferJob
  ctx: TransferContext
  source: ObjectSource
  object: string
  info: ObjectInfo
  meter: ProgressMeter
  started: number
  leftovers: Leftovers
  folder: ConfinedFolder
}

async function fetchVerifyCommit(plan: FetchPlan, opened?: GetObjectCommandOutput): Promise<TransferResult> {
  const { job, ctx, source, object, info, meter, started, leftovers, folder } = plan
  const dir = dirname(job.localPath)
  const part = partPath(job.localPath)
  // A server without byte ranges can only send the whole file: no resume, one stream.
  const done = info.ranges === false ? new ByteRanges() : await resumableRanges(job, source, info, leftovers)
  const resumed = done.total()
  await prepareFolder(dir, info.size - resumed, ctx.tuning.freeSpaceMarginBytes)
  // mkdir follows links: the folder it made (or found) must be the one that was checked.
  await folder.recheck()

  // O_NOFOLLOW: a link planted at `<final>.part` must not redirect our writes.
  const fh = await openPart(part, resumed > 0)
  try {
    await folder.checkOpened(fh.fd, part)
  } catch (err) {
    await fh.close().catch(() => undefined)
    throw err
  }
  let keepPart = true
  // A sidecar exists only for transfers that ran long enough (or wrote enough) to be worth resuming:
  // a small file fetched in under a second never pays for a datasync, a write, a rename and an unlink.
  const saves = new ResumeSaves(
    {
      record: () => done.toJSON(),
      datasync: () => fh.datasync(),
      writeSidecar: async (ranges) => {
        await folder.recheck()
        await saveSidecar(job.localPath, { s3Uri: source.identity, etag: info.etag, size: info.size, ranges })
      },
    },
    resumed > 0,
    (err) => ctx.log?.('warn', `Could not save resume data for ${job.localPath}: ${String(err)}`),
  )
  let hasher: SequentialHasher | ThreadedHasher | null = null
  try {
    const expected = expectedChecksums(job, info, ctx.tuning)
    hasher = makeHasher(
      expected.map((e) => e.algorithm),
      info.size,
      fh,
      ctx.signal,
    )
    meter.start(info.size, resumed)
    meter.setPhase('fetching')

    const schedule = new SaveSchedule(SIDECAR_INTERVAL_MS, WRITEBACK_BYTES)
    const saveProgress = (): void => {
      schedule.began()
      void saves.save().finally(() => schedule.settled())
    }

    const gaps = done.missing(info.size)
    // The opened GET covers the whole object: it serves a fetch of everything from 0 to the end.
    const [only] = gaps
    const whole = gaps.length === 1 && only?.[0] === 0 && only[1] === info.size ? opened : undefined
    if (!whole) destroyBody(opened)
    // A server without byte ranges sends the whole file on the one GET already open: one part, one stream.
    const policy =
      info.ranges === false
        ? connectionPolicy({ connectionsPerFile: 1, partSize: Math.max(1, info.size) })
        : (ctx.policy ?? connectionPolicy(ctx.tuning))
    try {
      await fetchParts({
        gaps,
        policy,
        signal: ctx.signal,
        ...(whole ? { opened: whole } : {}),
        // Parts written side by side leave holes until they meet: the file gets its size first. One
        // stream from byte 0 grows it as it writes (a resume accepts a .part shorter than the object).
        beforeParallel: () => (resumed === 0 ? fh.truncate(info.size) : Promise.resolve()),
        fetchPart: (part, signal, response) =>
          fetchRange(
            {
              source,
              object,
              etag: info.etag,
              size: info.size,
              fh,
              dir,
              limiter: ctx.limiter,
              tuning: ctx.tuning,
              signal,
              onData: (offset, chunk) => hasher?.feed(offset, chunk),
              onWritten: (offset, length) => {
                done.add(offset, offset + length)
                meter.add(length)
                policy.received(length)
                hasher?.advanceTo(done.contiguousEnd(0))
                if (schedule.wrote(length)) saveProgress()
              },
              onRetry: (message) => ctx.log?.('warn', message),
              onRequest: () => policy.requestStarted(),
              onAttemptFailed: (err) => policy.failed(err),
              onRetryWait: (waiting) => policy.retryWait(waiting),
            },
            part,
            response,
          ),
      })
    } finally {
      throwIfStopped(ctx.signal)
    }
    // Wait for a periodic save still under way, so it cannot land after the file is committed.
    await saves.settled()

    meter.setPhase('verifying')
    const fileSize = await sizeOfOpenFile(fh)
    if (fileSize !== info.size || done.total() !== info.size) {
      throw new StartOver(
        new TransferError(
          'size_mismatch',
          `${object}: the file has ${fileSize} bytes, expected ${info.size}`,
        ),
      )
    }
    const digests = await hasher.finish(info.size)
    const verified: VerifiedChecksum[] = []
    for (const e of expected) {
      const actual = digests.get(e.algorithm)
      if (actual !== e.value) {
        keepPart = false
        const which =
          e.source === 'job'
            ? 'the sha256 in the model config'
            : `the ${e.algorithm} ${REPORTED_BY[e.source]}`
        throw new StartOver(
          new TransferError(
            'checksum_mismatch',
            `${object}: the downloaded bytes do not match ${which} (got ${actual}, expected ${e.value})`,
          ),
        )
      }
      verified.push({ algorithm: e.algorithm, source: e.source, value: e.value })
    }
    if (hasher.bytesReRead > 0)
      ctx.log?.('info', `Verified ${object}, re-reading ${formatBytes(hasher.bytesReRead)}`)

    throwIfStopped(ctx.signal)
    meter.setPhase('finalizing')
    await fh.sync()
    await fh.close()
    keepPart = true
    await folder.recheck()
    try {
      await renameFile(part, job.localPath)
      await syncDirShared(dir)
    } catch (err) {
      throw notWritable(dir, err)
    }
    if (saves.sidecarWritten) await rm(sidecarPath(job.localPath), { force: true })
    return {
      id: job.id,
      localPath: job.localPath,
      size: info.size,
      etag: info.etag,
      lastModified: info.lastModified,
      verified,
      bytesFetched: info.size - resumed,
      bytesResumed: resumed,
      durationMs: Math.round(performance.now() - started),
    }
  } catch (err) {
    // The hashing thread reads our file descriptor: it must be gone before the handle closes.
    await hasher?.dispose().catch(() => undefined)
    if (ctx.signal.aborted && stopReasonOf(ctx.signal) === 'cancelled') {
      // Nothing of it is wanted: removed now, without waiting for a datasync under way (see
      // ResumeSaves.abandon); the handle is closed once that settles.
      await saves.abandon()
      await removePartFiles(job.localPath).catch(() => undefined)
      void saves.settled().then(() => fh.close().catch(() => undefined))
      throw err
    }
    // A periodic save still under way must not land after what happens next.
    await saves.settled()
    // Bytes of an object that changed, or that failed verification, are worth nothing.
    const worthless =
      err instanceof StartOver || (err instanceof TransferError && err.code === 'object_changed')
    const escaped = err instanceof TransferError && err.code === 'path_outside_roots'
    // Still the checked folder? A stop can come after it was swapped for a link (nothing is written then).
    const stillConfined = escaped
      ? false
      : await folder.recheck().then(
          () => true,
          () => false,
        )
    if (!worthless && stillConfined && keepPart && done.total() > 0) {
      await fh.datasync().catch(() => undefined)
      await fh.close().catch(() => undefined)
      await saveSidecar(job.localPath, {
        s3Uri: source.identity,
        etag: info.etag,
        size: info.size,
        ranges: done.toJSON(),
      }).catch(() => undefined)
    } else {
      await fh.close().catch(() => undefined)
      if ((worthless || !keepPart) && stillConfined) await removePartFiles(job.localPath)
    }
    throw err instanceof TransferError && err.code === 'object_changed' ? new StartOver(err) : err
  }
}

/** What an earlier run left in `.part` that is still good for this object (same ETag and size). */
async function resumableRanges(
  job: TransferJob,
  source: ObjectSource,
  info: ObjectInfo,
  leftovers: Leftovers,
): Promise<ByteRanges> {
  // Nothing there: the .part file is created (O_TRUNC) from zero.
  if (!leftovers.part && !leftovers.sidecar) return new ByteRanges()
  const part = partPath(job.localPath)
  const sidecar = leftovers.sidecar ? await loadSidecar(job.localPath) : null
  const partStat = leftovers.part
  if (partStat?.isSymbolicLink()) await unlink(part)
  const usable =
    sidecar &&
    partStat?.isFile() &&
    sidecar.etag === info.etag &&
    sidecar.size === info.size &&
    sidecar.s3Uri === source.identity &&
    partStat.size <= info.size
  if (usable && partStat)
    return new ByteRanges(sidecar.ranges.filter(([s, e]) => s < e && e <= partStat.size))
  await removePartFiles(job.localPath)
  return new ByteRanges()
}

async function openPart(part: string, resume: boolean): Promise<FileHandle> {
  const flags = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | (resume ? 0 : constants.O_TRUNC)
  try {
    return await open(part, flags, 0o644)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new TransferError(
        'path_is_symlink',
        `${part} is a symbolic link; downloads never write through links`,
      )
    }
    throw notWritable(dirname(part), err)
  }
}

const REPORTED_BY: Record<VerifiedChecksum['source'], string> = {
  job: 'the model config gives',
  s3: 'S3 reports',
  etag: 'the ETag gives',
  server: 'the server publishes',
}

interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm
  value: string
  source: VerifiedChecksum['source']
}

/**
 * The checksums to verify, cheapest sufficient set: the job's sha256 when given, plus S3's own (or the URL's host's)
 * full-object checksum; a plain-MD5 ETag only when nothing stronger is known.
 */
function expectedChecksums(job: TransferJob, info: ObjectInfo, tuning: TransferTuning): ExpectedChecksum[] {
  const out: ExpectedChecksum[] = []
  if (job.sha256) out.push({ algorithm: 'sha256', value: job.sha256.toLowerCase(), source: 'job' })
  const c = info.checksum
  if (c && c.source !== 'etag' && !(c.algorithm === 'sha256' && job.sha256)) {
    out.push({ algorithm: c.algorithm, value: c.hex, source: c.source })
  }
  if (out.length === 0 && c?.source === 'etag' && tuning.verifyEtagMd5) {
    out.push({ algorithm: 'md5-etag', value: c.hex, source: 'etag' })
  }
  return out
}

/**
 * Objects up to this size are hashed on this thread from the bytes as they arrive: below it, hashing
 * costs about what the messages to a hashing thread would. Above it, the shared hashing threads take
 * the work off this thread: no less CPU, but a second core's worth of it (docs/benchmarks.md).
 */
const INLINE_HASH_MAX_BYTES = 256 * 1024

/**
 * An object this large waits for a hashing thread to start if none is up: its hash costs about what
 * a thread's start does. A smaller one is hashed here meanwhile.
 */
const THREAD_START_PAYS_BYTES = 32 * 1024 * 1024

/**
 * Larger objects are hashed on a shared hashing thread when Node has every algorithm natively (the
 * common case: MD5 ETag, SHA-256, CRC32), beside the socket reads and file writes; CRC32C and
 * CRC64NVME come from the SDK's JavaScript and stay on this thread. While no thread is up, small
 * objects do not wait for one to start: they hash here, and a thread starts for the files after them
 * (the first of a batch no longer waits).
 */
function makeHasher(
  algorithms: ChecksumAlgorithm[],
  size: number,
  fh: FileHandle,
  signal: AbortSignal,
): SequentialHasher | ThreadedHasher {
  if (size > INLINE_HASH_MAX_BYTES && algorithms.length > 0 && algorithms.every((a) => THREADABLE.has(a))) {
    if (size >= THREAD_START_PAYS_BYTES || hashThreadOnline())
      return new ThreadedHasher(algorithms, fh.fd, signal)
    warmHashThread()
  }
  return new SequentialHasher(algorithms, fh, signal)
}
