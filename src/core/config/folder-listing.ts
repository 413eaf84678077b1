import { readdir } from 'node:fs/promises'

/** What one folder listing says about a name in it. */
export type NameState =
  /** Nothing by that name, in any letter case: it does not exist. */
  | 'absent'
  /** A file, folder or other non-link under exactly that name. */
  | 'present'
  /** A symlink, a name that matches only when letter case is ignored, or a folder that could not be listed: look closer. */
  | 'unknown'

interface Listing {
  links: Map<string, boolean>
  folded: Set<string>
}

/**
 * Folder listings taken once per load, so checking 50,000 models in 100 folders costs 100 readdir calls
 * instead of a realpath and an lstat (or three failed stats) per model. A listing only ever lets a caller
 * skip work for names it shows plainly: anything doubtful is 'unknown', for the caller's full check.
 */
export class FolderListings {
  private readonly listings = new Map<string, Promise<Listing | 'missing' | undefined>>()

  async state(folder: string, name: string): Promise<NameState> {
    let listing = this.listings.get(folder)
    if (!listing) {
      listing = list(folder)
      this.listings.set(folder, listing)
    }
    const found = await listing
    if (found === 'missing') return 'absent'
    if (!found) return 'unknown'
    const isLink = found.links.get(name)
    if (isLink !== undefined) return isLink ? 'unknown' : 'present'
    // macOS and Windows ignore letter case (and macOS, Unicode normalization): such a match is the same file there.
    return found.folded.has(fold(name)) ? 'unknown' : 'absent'
  }
}

async function list(folder: string): Promise<Listing | 'missing' | undefined> {
  try {
    const links = new Map<string, boolean>()
    const folded = new Set<string>()
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      links.set(entry.name, entry.isSymbolicLink())
      folded.add(fold(entry.name))
    }
    return { links, folded }
  } catch (err) {
    // A folder that is not there holds nothing yet; anything else is for the caller to look into.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined
  }
}

function fold(name: string): string {
  return name.normalize('NFC').toLowerCase()
}
