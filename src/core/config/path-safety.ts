import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path'
import { describeValue } from './issues'
import { FolderListings } from './folder-listing'
import { RealPathCache, realPathOfExisting } from './real-path'

export interface ModelsRoot {
  /** As the user configured it, for messages. */
  configured: string
  /** Normalized, symlinks untouched. */
  lexical: string
  /** With symlinks resolved. */
  real: string
}

export type Checked<T> = ({ ok: true } & T) | { ok: false; message: string }

export async function resolveRoot(configured: string): Promise<Checked<{ root: ModelsRoot }>> {
  const shape = shapeProblem(configured, 'folder')
  if (shape) return { ok: false, message: `${describeValue(configured)}: ${shape}` }
  const lexical = normalize(configured)
  const real = await realPathOfExisting(lexical)
  if (!real.ok) return { ok: false, message: `${configured}: ${real.message}` }
  return { ok: true, root: { configured, lexical, real: real.path } }
}

/**
 * Accepts a file path only if it stays inside a models root both as written and as the file system will
 * follow it, and says where the file physically lands (symlinked folders resolved, the name itself not:
 * the writer renames over a final symlink instead of writing through it).
 */
export async function checkModelPath(
  path: string,
  roots: ModelsRoot[],
  cache?: PathCache,
): Promise<Checked<{ path: string; location: string }>> {
  const shape = shapeProblem(path, 'file')
  if (shape) return { ok: false, message: `${describeValue(path)}: ${shape}` }
  const lexical = normalize(path)
  const rootList = roots.map((root) => root.configured).join(', ')
  // A root may be written either way: as configured, or as the folder its symlink leads to.
  if (!roots.some((root) => isInside(root.lexical, lexical) || isInside(root.real, lexical))) {
    return { ok: false, message: `${lexical} is outside the models roots (${rootList})` }
  }

  const parent = dirname(lexical)
  const name = basename(lexical)
  // With a cache, the folder's real path is found once per load, and the name itself is resolved only
  // if its folder's listing shows a symlink (or cannot rule one out). A failure takes the uncached road,
  // so the message is the same either way.
  const cachedFolder = cache ? await cache.realPaths.folder(parent) : undefined
  const plain =
    cachedFolder?.ok === true &&
    cache !== undefined &&
    (await cache.listings.state(parent, name)) !== 'unknown'
  const real = plain
    ? { ok: true as const, path: join(cachedFolder.path, name) }
    : await realPathOfExisting(lexical)
  if (!real.ok) return { ok: false, message: `${lexical}: ${real.message}` }
  if (!roots.some((root) => isInside(root.real, real.path))) {
    return {
      ok: false,
      message:
        `${lexical} leads to ${real.path} through a symlink, outside the models roots (${rootList}); ` +
        'add the link target to the models roots if models belong there',
    }
  }
  const folder = cachedFolder?.ok ? cachedFolder : await realPathOfExisting(parent)
  if (!folder.ok) return { ok: false, message: `${lexical}: ${folder.message}` }
  return { ok: true, path: lexical, location: join(folder.path, name) }
}

/** What one config load learns about its folders, so 50,000 models in a few folders cost a few lookups. */
export class PathCache {
  readonly realPaths = new RealPathCache()
  readonly listings = new FolderListings()
}

function shapeProblem(path: string, kind: 'file' | 'folder'): string | undefined {
  if (path.includes('\0')) return 'contains a NUL byte'
  if (!isAbsolute(path)) return `expected an absolute ${kind} path`
  // Rejected outright rather than normalized away: after a symlinked folder, ".." climbs out of the link
  // target on disk, not back to the folder the text names, so the two checks would disagree.
  if (path.split(/[\\/]/).includes('..')) return 'must not contain ".." segments'
  if (kind === 'file' && /[\\/]$/.test(path)) return 'ends with a path separator; expected a file path'
  return undefined
}

/** Strictly inside: the root itself is a folder, never a model file. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}
