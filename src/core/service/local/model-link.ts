import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { lstat, mkdir, realpath, rename, rm, stat, symlink } from 'node:fs/promises'
import { basename, dirname, join, parse, relative, resolve } from 'node:path'
import { ConfinedFolder, isInsideOrAt } from '../../transfer/confined-folder'

export type LinkOutcome = 'created' | 'replaced' | 'already_linked' | 'kept_existing_file'

/**
 * "Download once, link many": makes `linkPath` a symbolic link to the downloaded `targetPath` (the
 * old system meant to do this after each download and never did, its `ln` had the wrong arguments).
 *
 * What already stands at `linkPath` decides the outcome: a link to the same file is left alone; any
 * other link (valid or broken) is replaced; a regular file of exactly `expectedSize` bytes is kept,
 * because it is most likely a good copy someone put there; a file of another size is replaced; a
 * directory is an error, since replacing it would destroy whatever is inside.
 *
 * Windows: creating a symlink needs Developer Mode or SeCreateSymbolicLinkPrivilege, else it fails
 * with EPERM. There is no fallback yet (a hard link on the same volume, or a copy, would be one).
 */
export async function linkModel(
  linkPath: string,
  targetPath: string,
  expectedSize: number,
  /** Real paths of the models roots: the link's folder and its target must both lead inside them. */
  roots?: readonly string[],
): Promise<LinkOutcome> {
  await checkTarget(linkPath, targetPath, expectedSize)
  const fence = roots ? await ConfinedFolder.enter(dirname(resolve(linkPath)), roots) : undefined
  if (roots) {
    const realTarget = await realpath(targetPath)
    if (!roots.some((root) => isInsideOrAt(root, realTarget))) {
      throw new Error(`Cannot link ${linkPath}: its target leads to ${realTarget}, outside the models roots`)
    }
  }

  const existing = await lstatOrNull(linkPath)
  let outcome: LinkOutcome = 'created'
  if (existing?.isSymbolicLink()) {
    if (await sameFile(linkPath, targetPath)) return 'already_linked'
    outcome = 'replaced'
  } else if (existing?.isFile()) {
    if (existing.size === expectedSize) return 'kept_existing_file'
    outcome = 'replaced'
  } else if (existing?.isDirectory()) {
    throw new Error(`Cannot link ${linkPath} to ${targetPath}: a directory is in the way`)
  } else if (existing) {
    throw new Error(`Cannot link ${linkPath} to ${targetPath}: something other than a file is in the way`)
  }

  const linkDir = dirname(resolve(linkPath))
  await mkdir(linkDir, { recursive: true })
  // mkdir follows links: the folder must still be the one checked, right before the link is made.
  await fence?.recheck()
  const text = await linkText(linkDir, targetPath)

  // Create under a temporary name, then rename over the path: readers see the old entry or the new
  // link, never nothing and never a half state. A crash in between leaves only the hidden temp link.
  // By the checked real folder, not again through the links above it.
  const folder = fence?.real ?? linkDir
  const tmp = join(folder, `.${basename(linkPath)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp-link`)
  try {
    // 'file' matters only on Windows, where a link's type is fixed when it is made.
    await symlink(text, tmp, 'file')
    await rename(tmp, join(folder, basename(linkPath)))
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  return outcome
}

async function checkTarget(linkPath: string, targetPath: string, expectedSize: number): Promise<void> {
  let st: Stats
  try {
    st = await stat(targetPath)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(
      `Cannot link ${linkPath}: target ${targetPath} is not there (${code ?? String(err)}), expected ${expectedSize} bytes`,
    )
  }
  if (!st.isFile()) throw new Error(`Cannot link ${linkPath}: target ${targetPath} is not a regular file`)
  if (st.size !== expectedSize) {
    throw new Error(
      `Cannot link ${linkPath}: target ${targetPath} is ${st.size} bytes, expected ${expectedSize} bytes`,
    )
  }
}

/**
 * A relative link keeps working when the whole models tree is mounted elsewhere (a network volume at
 * another path in a container). Across volumes the two move independently, so an absolute link is
 * the sturdier choice there, and on Windows path.relative cannot cross drives anyway.
 */
async function linkText(linkDir: string, targetPath: string): Promise<string> {
  const absTarget = resolve(targetPath)
  // The system resolves a relative link from the link's real folder, so a folder reached through a
  // symlink (/tmp → /private/tmp, /models → /mnt/vol/models) must be resolved on both sides first.
  const realLinkDir = await realpath(linkDir)
  const realTargetDir = await realpath(dirname(absTarget))
  const [linkDirStat, targetDirStat] = await Promise.all([stat(realLinkDir), stat(realTargetDir)])
  const sameVolume =
    linkDirStat.dev === targetDirStat.dev && parse(realLinkDir).root === parse(realTargetDir).root
  if (!sameVolume) return absTarget
  return relative(realLinkDir, join(realTargetDir, basename(absTarget)))
}

/** Whether two paths end at the same file once every link is followed; a broken link never does. */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [ra, rb] = await Promise.all([realpath(a), realpath(b)])
    return ra === rb
  } catch {
    return false
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
