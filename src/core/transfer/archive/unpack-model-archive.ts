import { constants } from 'node:fs'
import { type FileHandle, open, rename, statfs, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Decompress } from 'fzstd'
import { type Extract, type ExtractEvents, extract as tarExtract } from 'tar-stream'
import { fsyncDir } from '../../fs/atomic-write'
import { createHasher } from '../checksum'
import { TransferError, TransferStopped, stopReasonOf, throwIfStopped } from '../errors'
import { checkDestination, formatBytes, notWritable, prepareFolder } from '../preflight'
import { partPath } from '../sidecar'
import { entryBaseName, isBareFileName, isUnsafeEntryName } from './tar-entry-name'
import { ZstdSplitter, ZstdWindowTooLarge } from './zstd-splitter'

// Archive bytes read per file read.
const READ_SIZE = 1 << 20
// Most output one push into the decompressor may yield (see ZstdSplitter), so memory stays bounded
// even across long runs of zeros, which zstd stores at 32768:1.
const MAX_OUTPUT_PER_PUSH = 1 << 20
// fzstd allocates each frame's window up front. 128 MiB is what the zstd CLI decodes without
// --memory (windowLog 27): every archive made without `--long=28` or more is accepted.
const MAX_WINDOW = 128 << 20
// Member bytes gathered before a write: few syscalls, little memory.
const WRITE_BATCH = 1 << 20
const PROGRESS_INTERVAL_MS = 250

type Entry = ExtractEvents['entry'][1]

export interface UnpackOptions {
  /** A complete, verified `<something>.tar.zst` on disk. */
  archivePath: string
  /** The file to extract, matched against each entry's last path segment; exactly one entry may match. */
  memberName: string
  /** Final path of the model file. */
  localPath: string
  /** Throws unless the folder is still where it was checked to be (see ConfinedFolder). */
  recheckFolder?: () => Promise<void>
  expectedSize: number
  /** Lower-case hex; verified while streaming when given. */
  sha256?: string
  /** Abort with reason 'paused' or 'cancelled'; either way nothing is kept (an unpack does not resume). */
  signal: AbortSignal
  /** Member bytes written so far, at most a few times per second. */
  onProgress?(bytesOut: number): void
}

export interface UnpackResult {
  size: number
  /** Lower-case hex SHA-256 of the extracted file. */
  sha256: string
}

/**
 * Extracts one file of a `.tar.zst` to `localPath`: archive → zstd (fzstd, pure JS: Node 20's zlib has
 * no zstd) → tar → `<localPath>.part`, hashed on the way → verify size and sha256 → fsync → rename →
 * fsync the folder. Nothing stands at `localPath` unless it is complete and verified, and `.part` is
 * removed on any failure or stop. Memory is bounded by the zstd window (≤ 128 MiB, a few MiB with
 * default levels) plus a few MiB of buffers, whatever the archive's size.
 *
 * Rejects with TransferError (invalid_job for a missing, repeated or non-regular member and for a
 * corrupt archive; size_mismatch; checksum_mismatch; disk_full; not_writable) or TransferStopped.
 */
export async function unpackModelArchive(o: UnpackOptions): Promise<UnpackResult> {
  if (!isBareFileName(o.memberName)) {
    throw new TransferError('invalid_job', `The archive member must be a file name, got "${o.memberName}"`)
  }
  if (!Number.isSafeInteger(o.expectedSize) || o.expectedSize < 0) {
    throw new TransferError('invalid_job', `The expected size of ${o.memberName} is not a byte count`)
  }
  throwIfStopped(o.signal)
  await checkDestination(o.localPath)
  const dir = dirname(o.localPath)
  // The folder may not exist yet (a member unpacked somewhere new); free space is checked below.
  await prepareFolder(dir, 0, 0)
  await o.recheckFolder?.()
  const part = partPath(o.localPath)
  await removeStalePart(part)
  await checkFreeSpace(dir, o.expectedSize, o.memberName)
  const fh = await openFreshPart(part)
  let closed = false
  try {
    const result = await extractMember(o, fh, dir)
    throwIfStopped(o.signal)
    try {
      await fh.sync()
      closed = true
      await fh.close()
    } catch (err) {
      throw writeError(dir, o, err)
    }
    throwIfStopped(o.signal)
    await o.recheckFolder?.()
    try {
      await rename(part, o.localPath)
      await fsyncDir(dir)
    } catch (err) {
      throw notWritable(dir, err)
    }
    return result
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined)
    await unlink(part).catch(() => undefined)
    if (o.signal.aborted) throw new TransferStopped(stopReasonOf(o.signal))
    throw err
  }
}

/** A `.part` left by an earlier run is worth nothing: unpacking has no resume. */
async function removeStalePart(part: string): Promise<void> {
  try {
    // unlink removes a symbolic link itself, never what it points to.
    await unlink(part)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw notWritable(dirname(part), err)
  }
}

async function openFreshPart(part: string): Promise<FileHandle> {
  // O_EXCL | O_NOFOLLOW: a link planted at `.part` after removeStalePart must not redirect our writes.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  try {
    return await open(part, flags, 0o644)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ELOOP' || code === 'EEXIST') {
      throw new TransferError(
        'path_is_symlink',
        `${part} appeared while unpacking (another program is writing there?); unpacking never writes through links or into others' files`,
      )
    }
    throw notWritable(dirname(part), err)
  }
}

async function checkFreeSpace(dir: string, bytes: number, member: string): Promise<void> {
  const s = await statfs(dir)
  const free = s.bavail * s.bsize
  if (free < bytes) throw diskFull(dir, member, bytes, free)
}

function diskFull(dir: string, member: string, bytes: number, free?: number): TransferError {
  const left = free === undefined ? '' : `, ${formatBytes(free)} free`
  return new TransferError(
    'disk_full',
    `Disk full: unpacking ${member} needs ${formatBytes(bytes)} in ${dir}${left}. Free some space and retry.`,
  )
}

function writeError(dir: string, o: UnpackOptions, err: unknown): TransferError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(dir, o.memberName, o.expectedSize)
  return notWritable(dir, err)
}

/**
 * Runs the two halves side by side: the feeder (file → zstd → tar parser) and the reader (tar entries →
 * `.part`). Back-pressure links them: the feeder waits for the parser to drain, the parser waits for
 * the reader to consume the entry. The first failure of either stops both.
 */
async function extractMember(o: UnpackOptions, fh: FileHandle, dir: string): Promise<UnpackResult> {
  const extract = tarExtract()
  const stop = new AbortController()
  let failure: unknown = null
  const fail = (err: unknown): void => {
    if (failure !== null) return
    failure = err
    stop.abort()
    extract.destroy(err instanceof Error ? err : new Error(String(err)))
  }
  const relayStop = (): void => fail(new TransferStopped(stopReasonOf(o.signal)))
  // A stop that came during the preparations fires no event: catch it before anything starts.
  throwIfStopped(o.signal)
  o.signal.addEventListener('abort', relayStop, { once: true })
  try {
    const [, found] = await Promise.all([
      feedArchive(o.archivePath, extract, stop.signal).catch(fail),
      readEntries(o, extract, fh, dir).catch((err: unknown) => {
        fail(err)
        return null
      }),
    ])
    if (failure !== null) throw archiveError(o.archivePath, failure)
    if (found === null) throw new TransferError('internal', `${o.archivePath}: the member was lost`)
    return found
  } finally {
    o.signal.removeEventListener('abort', relayStop)
  }
}

/** Errors of our own pass through; anything the decompressor or the tar parser raises means a bad archive. */
function archiveError(archivePath: string, err: unknown): unknown {
  if (err instanceof TransferError || err instanceof TransferStopped) return err
  if (err instanceof ZstdWindowTooLarge) {
    return new TransferError(
      'invalid_job',
      `${archivePath} was compressed with a ${formatBytes(err.windowSize)} window (zstd --long or --ultra); at most ${formatBytes(err.limit)} is supported: compress it again with --long=27 or less`,
    )
  }
  const what = err instanceof Error ? err.message : String(err)
  return new TransferError(
    'invalid_job',
    `${archivePath} is not a valid .tar.zst archive (${what}): it is corrupt or truncated; upload it again`,
    false,
    { cause: err },
  )
}

async function feedArchive(archivePath: string, extract: Extract, stop: AbortSignal): Promise<void> {
  let file: FileHandle
  try {
    file = await open(archivePath, 'r')
  } catch (err) {
    throw unreadable(archivePath, err)
  }
  try {
    const splitter = new ZstdSplitter(MAX_OUTPUT_PER_PUSH, MAX_WINDOW)
    let output: Uint8Array[] = []
    const zstd = new Decompress((data) => {
      if (data.length > 0) output.push(data)
    })
    const forward = async (): Promise<void> => {
      const chunks = output
      output = []
      let room = true
      for (const c of chunks) room = extract.write(Buffer.from(c.buffer, c.byteOffset, c.byteLength))
      if (!room) await drained(extract, stop)
    }
    for (;;) {
      if (stop.aborted) return
      // A fresh buffer per read: fzstd keeps references to the tail of a push until the next one completes it.
      const chunk = Buffer.allocUnsafe(READ_SIZE)
      let bytesRead: number
      try {
        ;({ bytesRead } = await file.read(chunk, 0, READ_SIZE, null))
      } catch (err) {
        throw unreadable(archivePath, err)
      }
      if (bytesRead === 0) break
      for (const piece of splitter.split(chunk.subarray(0, bytesRead))) {
        zstd.push(piece)
        if (output.length > 0) await forward()
        // A parser that broke on its own is reported by the reader, which sees its error.
        if (stop.aborted || extract.destroyed) return
      }
    }
    // `final` makes fzstd report a stream cut short inside a frame.
    zstd.push(new Uint8Array(0), true)
    await forward()
    extract.end(null)
  } finally {
    await file.close().catch(() => undefined)
  }
}

/** Resolves when the parser takes more, or will never take more (closed, or the unpack is stopping). */
function drained(extract: Extract, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done)
      extract.off('close', done)
      stop.removeEventListener('abort', done)
      resolve()
    }
    if (stop.aborted || extract.destroyed) return resolve()
    extract.on('drain', done)
    extract.on('close', done)
    stop.addEventListener('abort', done)
  })
}

function unreadable(archivePath: string, err: unknown): TransferError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err)
  return new TransferError('internal', `Cannot read the archive ${archivePath}: ${code}`, false, {
    cause: err,
  })
}

async function readEntries(
  o: UnpackOptions,
  extract: Extract,
  fh: FileHandle,
  dir: string,
): Promise<UnpackResult | null> {
  let found: UnpackResult | null = null
  let matchedName: string | null = null
  const seen: string[] = []
  for await (const entry of extract) {
    const { name, type, size } = entry.header
    if (isUnsafeEntryName(name)) {
      throw new TransferError(
        'invalid_job',
        `${o.archivePath} holds an entry named "${name}" (absolute or with ".."): such archives are refused`,
      )
    }
    if (entryBaseName(name) !== o.memberName) {
      if (seen.length < 5 && type === 'file') seen.push(name)
      // An unread entry would stall the parser: let it flow away.
      entry.resume()
      continue
    }
    if (matchedName !== null) {
      throw new TransferError(
        'invalid_job',
        `${o.archivePath} holds ${o.memberName} more than once ("${matchedName}" and "${name}"); it must hold exactly one`,
      )
    }
    matchedName = name
    if (type !== 'file' && type !== 'contiguous-file') {
      throw new TransferError(
        'invalid_job',
        `${o.archivePath}: "${name}" is a ${type ?? 'special entry'}, not a regular file`,
      )
    }
    if (size !== o.expectedSize) {
      throw new TransferError(
        'size_mismatch',
        `${o.archivePath}: "${name}" is ${size ?? '?'} bytes but the model config expects ${o.expectedSize}: fix modelSize or the archive`,
      )
    }
    found = await writeMember(o, entry, fh, dir)
  }
  if (matchedName === null) {
    const holds = seen.length === 0 ? 'no files' : `for example ${seen.map((n) => `"${n}"`).join(', ')}`
    throw new TransferError(
      'invalid_job',
      `${o.archivePath} holds no file named ${o.memberName} (it holds ${holds}): check the archive or the model name`,
    )
  }
  return found
}

async function writeMember(
  o: UnpackOptions,
  entry: Entry,
  fh: FileHandle,
  dir: string,
): Promise<UnpackResult> {
  const hasher = createHasher('sha256')
  let written = 0
  let batch: Buffer[] = []
  let batchBytes = 0
  let lastReport = -Infinity
  let reported = -1
  const flush = async (): Promise<void> => {
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes)
    batch = []
    batchBytes = 0
    await writeFully(fh, data, written, dir, o)
    written += data.length
    const now = performance.now()
    if (now - lastReport >= PROGRESS_INTERVAL_MS) {
      lastReport = now
      reported = written
      o.onProgress?.(written)
    }
  }
  for await (const data of entry) {
    const chunk = data as Buffer
    hasher.update(chunk)
    batch.push(chunk)
    batchBytes += chunk.length
    if (batchBytes >= WRITE_BATCH) await flush()
  }
  if (batchBytes > 0) await flush()
  if (reported !== written) o.onProgress?.(written)
  if (written !== o.expectedSize) {
    throw new TransferError(
      'size_mismatch',
      `${o.archivePath}: ${o.memberName} gave ${written} bytes, expected ${o.expectedSize}`,
    )
  }
  const sha256 = await hasher.digestHex()
  const expected = o.sha256?.toLowerCase()
  if (expected !== undefined && sha256 !== expected) {
    throw new TransferError(
      'checksum_mismatch',
      `${o.archivePath}: ${o.memberName} does not match the sha256 in the model config (got ${sha256}, expected ${expected})`,
    )
  }
  return { size: written, sha256 }
}

async function writeFully(
  fh: FileHandle,
  data: Buffer,
  position: number,
  dir: string,
  o: UnpackOptions,
): Promise<void> {
  let done = 0
  try {
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done)
      // A regular file only stops accepting bytes when its file system is full.
      if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
      done += bytesWritten
    }
  } catch (err) {
    throw writeError(dir, o, err)
  }
}
