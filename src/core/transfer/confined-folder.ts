// The folder a transfer writes in, held to where it was checked. A config's paths are checked when it
// loads, but a folder can be swapped for a symlink afterwards (or during a download), and every write
// by path follows links in the folders above the file (O_NOFOLLOW covers only the last component). So
// the real folder is resolved and checked against the roots before anything is created, once more
// after the folder exists, and again before each write by path (sidecar, rename): a folder that now
// leads elsewhere fails the job, and nothing lands outside the roots.
import { readlinkSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { realPathOfExisting } from '../config/real-path'
import { TransferError } from './errors'

/** `path` is `root` or below it (both real paths). */
export function isInsideOrAt(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

function escaped(dir: string, real: string, roots: readonly string[]): TransferError {
  return new TransferError(
    'path_outside_roots',
    `${dir} leads to ${real}, outside the models roots (${roots.join(', ')}): a folder on the way was ` +
      'replaced by a symbolic link. Nothing was written there; check the folder and download again.',
  )
}

export class ConfinedFolder {
  private constructor(
    /** The folder as the job names it. */
    readonly dir: string,
    /** Where it really is, checked to be inside the roots. */
    readonly real: string,
    private readonly roots: readonly string[],
  ) {}

  /**
   * Checks where `dir` leads (the part that exists resolved, the rest as named) against `roots` (real
   * paths). Without roots the folder is held to where it leads now. The folder may not exist yet:
   * once it was created (mkdir follows links), `recheck` confirms it was made where it was checked.
   */
  static async enter(dir: string, roots: readonly string[] | undefined): Promise<ConfinedFolder> {
    // A relative folder would be resolved against whatever the process's working folder is.
    if (!isAbsolute(dir))
      throw new TransferError('invalid_job', `The folder must be an absolute path, got "${dir}"`)
    const real = await realPathOfExisting(dir)
    if (!real.ok) throw new TransferError('not_writable', `Cannot write to ${dir}: ${real.message}`)
    const fence = roots && roots.length > 0 ? roots : [real.path]
    if (!fence.some((root) => isInsideOrAt(root, real.path))) throw escaped(dir, real.path, fence)
    return new ConfinedFolder(dir, real.path, fence)
  }

  /** The file `name` in the checked folder, by its real path. */
  file(name: string): string {
    return join(this.real, name)
  }

  /** Throws unless the folder still is where it was checked to be. Call before each write by path. */
  async recheck(): Promise<void> {
    const now = await this.resolveNow()
    if (now !== this.real) throw escaped(this.dir, now, this.roots)
  }

  /**
   * Throws unless an open file really is `path` in the checked folder: where the kernel says the
   * descriptor points (Linux's /proc), or else the folder checked once more right after the open.
   */
  async checkOpened(fd: number, path: string): Promise<void> {
    let opened: string | undefined
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      // No /proc (macOS, Windows): the folder is checked again instead.
    }
    if (opened === undefined) return this.recheck()
    if (dirname(opened) !== this.real || basename(opened) !== basename(path)) {
      throw escaped(this.dir, dirname(opened), this.roots)
    }
  }

  private async resolveNow(): Promise<string> {
    try {
      return await realpath(this.dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new TransferError('not_writable', `Cannot write to ${this.dir}: ${code ?? String(err)}`, false, {
        cause: err,
      })
    }
  }
}
