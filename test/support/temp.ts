import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh, empty directory under os.tmpdir(): `<tmpdir>/<prefix>XXXXXX`. */
export async function makeTempDir(prefix = 'modeldl-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** Removes a directory made by makeTempDir (recursively; a missing directory is not an error). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

/**
 * Temp dirs that are all removed by one call, for afterEach/afterAll:
 *
 *   const temp = tempDirs()
 *   afterEach(() => temp.cleanup())
 *   const dir = await temp.make('models-')
 */
export function tempDirs(): { make(prefix?: string): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = []
  return {
    async make(prefix?: string) {
      const dir = await makeTempDir(prefix)
      made.push(dir)
      return dir
    },
    async cleanup() {
      const dirs = made.splice(0)
      await Promise.all(dirs.map((dir) => removeTempDir(dir)))
    },
  }
}

/** Hex SHA-256 of a file's content, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer)
  }
  return hash.digest('hex')
}

/** True when something exists at path (stat follows symlinks: a dangling symlink counts as absent). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    throw err
  }
}
