import { mkdir } from 'node:fs/promises'
import { dirname, isAbsolute } from 'node:path'
import { lstatIfExists, statfsOf } from '../fs/metadata-calls'
import { TransferError } from './errors'

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

/**
 * Checks what stands at `localPath` before any byte is fetched: nothing, or a regular file (which the
 * download replaces); never a folder or a link. Whether its folder exists and can be written is
 * found by prepareFolder and by opening the `.part` file, which name the folder in their errors.
 */
export async function checkDestination(localPath: string): Promise<void> {
  checkLocalPathShape(localPath)
  let stat
  try {
    stat = await lstatIfExists(localPath)
  } catch (err) {
    throw notWritable(dirname(localPath), err)
  }
  if (!stat) return
  if (stat.isDirectory()) {
    throw new TransferError(
      'path_is_directory',
      `${localPath} is a folder; a model file cannot be written there`,
    )
  }
  if (stat.isSymbolicLink()) {
    throw new TransferError(
      'path_is_symlink',
      `${localPath} is a symbolic link; remove it first (downloads never write through links)`,
    )
  }
}

/** Throws invalid_job unless `localPath` is an absolute file path (checked before any folder is resolved). */
export function checkLocalPathShape(localPath: string): void {
  if (!isAbsolute(localPath) || localPath.includes('\0') || localPath.endsWith('/')) {
    throw new TransferError('invalid_job', `The local path must be an absolute file path, got "${localPath}"`)
  }
}

export function notWritable(dir: string, err: unknown): TransferError {
  const code = errno(err)
  if (code === 'ENOSPC') return diskFull(dir)
  const why =
    code === 'EROFS'
      ? 'it is on a read-only file system'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file stands where a folder is needed'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? String(err))
  return new TransferError('not_writable', `Cannot write to ${dir}: ${why}`, false, { cause: err })
}

export function diskFull(dir: string, detail = ''): TransferError {
  return new TransferError(
    'disk_full',
    `Disk full: not enough free space in ${dir}${detail}. Free some space; the partial download is kept and resumes.`,
  )
}

/**
 * Makes sure `dir` exists (creating it and its parents if not) and that its free space covers what
 * is left to fetch plus a margin, so other programs are not starved. One statfs when the folder is
 * there, the common case: a small file's whole transfer is a handful of thread-pool round trips, and
 * a separate mkdir, stat and access for each made a visible share of them.
 */
export async function prepareFolder(dir: string, bytesNeeded: number, marginBytes: number): Promise<void> {
  let s
  try {
    s = await statfsOf(dir)
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw notWritable(dir, err)
    try {
      await mkdir(dir, { recursive: true })
      s = await statfsOf(dir)
    } catch (err2) {
      throw notWritable(dir, err2)
    }
  }
  if (bytesNeeded <= 0) return
  const free = s.bavail * s.bsize
  if (free < bytesNeeded + marginBytes) {
    throw diskFull(
      dir,
      ` (${formatBytes(bytesNeeded)} still to fetch plus a ${formatBytes(marginBytes)} margin, ${formatBytes(free)} free)`,
    )
  }
}
