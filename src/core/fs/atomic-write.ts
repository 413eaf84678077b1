import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes a whole file so that readers (and a crash) only ever see the old or the new content:
 * write a temporary file beside it, optionally fsync it, then rename over the target.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { fsync?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(data)
      if (options.fsync) await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  if (options.fsync) await fsyncDir(dirname(path))
}

/** Makes a rename durable: on POSIX the directory entry itself must be synced. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
