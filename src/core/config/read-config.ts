import { constants, type Stats } from 'node:fs'
import { open, stat, type FileHandle } from 'node:fs/promises'
import { MAX_CONFIG_BYTES } from '../../shared/limits'

export type ReadConfig = { ok: true; bytes: Buffer } | { ok: false; message: string }

/**
 * A config file's bytes, refusing before reading what is not a regular file or is larger than
 * MAX_CONFIG_BYTES. The file is opened without blocking (a FIFO with no writer would otherwise hang the
 * open) and judged by fstat of that very handle; the read stops one byte past the limit, since /proc
 * files and devices report a size of 0 (`/dev/zero` would otherwise be read until memory runs out).
 */
export async function readConfigBytes(path: string, limit = MAX_CONFIG_BYTES): Promise<ReadConfig> {
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Opening a Unix socket fails with ENXIO: say what stands there rather than quote the code.
    if (code === 'ENXIO') {
      const st = await stat(path).catch(() => undefined)
      if (st) return { ok: false, message: notRegular(st) }
    }
    return { ok: false, message: openProblem(code) }
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) return { ok: false, message: notRegular(st) }
    if (st.size > limit) return { ok: false, message: tooLarge(formatSize(st.size), limit) }
    const buffer = Buffer.allocUnsafe(Math.min(limit, Math.max(st.size, 64 * 1024)) + 1)
    let length = 0
    let chunk = buffer
    for (;;) {
      if (length === chunk.length) {
        // The file grew, or reported a size of 0: grow the buffer, up to the limit + 1 and never further.
        const grown = Buffer.allocUnsafe(Math.min(limit + 1, chunk.length * 2))
        chunk.copy(grown, 0, 0, length)
        chunk = grown
      }
      const { bytesRead } = await handle.read(chunk, length, chunk.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > limit) {
        return { ok: false, message: tooLarge(`more than ${formatSize(limit)} when read`, limit) }
      }
    }
    return { ok: true, bytes: chunk.subarray(0, length) }
  } catch (err) {
    return { ok: false, message: openProblem((err as NodeJS.ErrnoException).code) }
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** `what` says how large the config is; the limit follows. */
export function tooLarge(what: string, limit = MAX_CONFIG_BYTES): string {
  return `too large: ${what}; a model config may be at most ${formatSize(limit)}`
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const MiB = 1024 * 1024
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB (${bytes.toLocaleString('en-US')} bytes)`
  const mib = bytes / MiB
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB (${bytes.toLocaleString('en-US')} bytes)`
}

function notRegular(st: Stats): string {
  if (st.isDirectory()) return 'is a folder, not a file'
  const what = st.isFIFO()
    ? 'a FIFO (named pipe)'
    : st.isCharacterDevice()
      ? 'a character device'
      : st.isBlockDevice()
        ? 'a block device'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file'
  return `is ${what}, not a regular file; a model config must be a regular JSON file`
}

function openProblem(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'file not found'
    case 'EISDIR':
      return 'is a folder, not a file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    default:
      return `cannot read the file (${code ?? 'unknown error'})`
  }
}
