import { createHash } from 'node:crypto'
import type { Stats } from 'node:fs'
import { lstat, open, readFile, readlink, stat } from 'node:fs/promises'
import { z } from 'zod'
import { ByteRanges } from '../../transfer/byte-ranges'
import { partPath, sidecarPath } from '../../transfer/sidecar'

/** What stands at a model's local path, judged against what the config says should be there. */
export type LocalState =
  | { kind: 'installed' }
  | { kind: 'missing' }
  | { kind: 'wrong_size'; size: number }
  | { kind: 'checksum_mismatch'; actual: string }
  | { kind: 'partial'; bytes: number }
  | { kind: 'not_a_file'; what: 'directory' | 'other' }
  | { kind: 'broken_link'; target: string }

export interface LocalStateOptions {
  /** Expected hex SHA-256; only used when `verify` is also set. */
  sha256?: string
  /** Read the whole file and compare its SHA-256. Costs ~1 CPU-s per GiB, so it is opt-in. */
  verify?: boolean
  signal?: AbortSignal
}

/**
 * The old `missing` mode counted any existing file as installed, so a truncated download was never
 * fetched again. Here only a regular file (or a link to one) of exactly the expected size counts.
 */
export async function localState(
  localPath: string,
  expectedSize: number,
  options: LocalStateOptions = {},
): Promise<LocalState> {
  // stat follows links, so a valid link to a complete file (the "link many" side) counts as installed.
  const st = await statOrNull(localPath, stat)
  if (!st) return absentState(localPath)
  if (st.isDirectory()) return { kind: 'not_a_file', what: 'directory' }
  if (!st.isFile()) return { kind: 'not_a_file', what: 'other' }
  if (st.size !== expectedSize) return { kind: 'wrong_size', size: st.size }
  if (options.verify && options.sha256) {
    const actual = await sha256OfFile(localPath, options.signal)
    if (actual !== options.sha256.toLowerCase()) return { kind: 'checksum_mismatch', actual }
  }
  return { kind: 'installed' }
}

/** Nothing usable at the path: tell a dangling link and an interrupted download from plain absence. */
async function absentState(localPath: string): Promise<LocalState> {
  const lst = await statOrNull(localPath, lstat)
  // A link whose target is gone (or a link loop) is something the user can fix by hand, or that the
  // link step replaces: worth naming rather than calling it missing.
  if (lst?.isSymbolicLink()) return { kind: 'broken_link', target: await readlink(localPath) }
  // The worker opens .part with O_NOFOLLOW and removes a link there, so only a regular file counts.
  const part = await statOrNull(partPath(localPath), lstat)
  if (part?.isFile()) return { kind: 'partial', bytes: await resumableBytes(localPath, part.size) }
  return { kind: 'missing' }
}

// Only the ranges matter here; the worker checks the rest (ETag, size, URI) before it resumes.
const RangesSchema = z.object({
  ranges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
})

/**
 * Bytes a resume would keep. Without a readable sidecar that is none: the worker preallocates `.part`
 * to the full size and starts over when the sidecar is missing, so the `.part` size would claim bytes
 * that will be fetched again.
 */
async function resumableBytes(localPath: string, partSize: number): Promise<number> {
  let text: string
  try {
    text = await readFile(sidecarPath(localPath), 'utf8')
  } catch {
    return 0
  }
  let parsed: z.infer<typeof RangesSchema>
  try {
    parsed = RangesSchema.parse(JSON.parse(text))
  } catch {
    return 0
  }
  // A sidecar cannot vouch for bytes beyond the end of the file it describes.
  return Math.min(new ByteRanges(parsed.ranges).total(), partSize)
}

async function statOrNull(path: string, fn: (path: string) => Promise<Stats>): Promise<Stats | null> {
  try {
    return await fn(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // ENOTDIR: a parent is a file; ELOOP: a link cycle. Neither leaves a model at the path.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null
    throw err
  }
}

const HASH_BUFFER_BYTES = 1 << 20

/** Hex SHA-256 of a file, read through one reused 1 MiB buffer; stops with the signal's reason. */
async function sha256OfFile(path: string, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted()
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(HASH_BUFFER_BYTES)
  const fh = await open(path, 'r')
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      // update() hashes the bytes synchronously, so the next read may overwrite the buffer.
      hash.update(buffer.subarray(0, bytesRead))
      signal?.throwIfAborted()
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}
