import { lstat, readlink, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'

export type RealPath = { ok: true; path: string } | { ok: false; message: string }

// Linux gives up after 40 links (ELOOP); following the same limit rejects what the OS would reject.
const MAX_LINK_HOPS = 40

/**
 * Where `path` really leads: symlinks are resolved in the part that exists and the missing rest is appended.
 * A file that is not downloaded yet still has a real location, decided by the folders above it.
 */
export async function realPathOfExisting(path: string, hops = 0): Promise<RealPath> {
  const missing: string[] = []
  let current = path
  for (;;) {
    try {
      return { ok: true, path: join(await realpath(current), ...missing) }
    } catch (err) {
      const code = errorCode(err)
      if (code === 'ELOOP') return { ok: false, message: `a symlink loop at ${current}` }
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        return { ok: false, message: `cannot check ${current}: ${code}` }
      }
    }
    // realpath also fails on a dangling symlink, yet a file written there lands wherever the link points,
    // so follow it by hand instead of taking it for a missing name.
    const link = await lstat(current).catch(() => undefined)
    if (link?.isSymbolicLink()) {
      if (hops >= MAX_LINK_HOPS) return { ok: false, message: `too many symlinks at ${current}` }
      const parent = await realPathOfExisting(dirname(current), hops)
      if (!parent.ok) return parent
      const target = await readlink(current).catch((err: unknown) => err as Error)
      if (target instanceof Error) {
        return { ok: false, message: `cannot check ${current}: ${errorCode(target)}` }
      }
      return realPathOfExisting(join(resolve(parent.path, target), ...missing), hops + 1)
    }
    const parent = dirname(current)
    if (parent === current) return { ok: true, path: join(current, ...missing) }
    missing.unshift(basename(current))
    current = parent
  }
}

/**
 * Real paths of folders, each found once per config load: the models of one config sit in a few folders,
 * and resolving each model's path from scratch cost a realpath (and, for a file not downloaded yet, a
 * failed one and an lstat) per model.
 */
export class RealPathCache {
  private readonly folders = new Map<string, Promise<RealPath>>()

  folder(path: string): Promise<RealPath> {
    let real = this.folders.get(path)
    if (!real) {
      real = realPathOfExisting(path)
      this.folders.set(path, real)
    }
    return real
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? String(err)
}
