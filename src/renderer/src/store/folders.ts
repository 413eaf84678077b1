// The folder tree of a scanned source: which folders there are (from the listing, empty ones too), how
// many models sit under each, and which of them a tree showing one selected folder lays out.
import type { ScannedModel } from '../../../shared/api-contract'

export interface FolderNode {
  /** Relative to the source, '/'-separated: `loras/sdxl`. */
  path: string
  name: string
  depth: number
  /** Models under it, at any depth. */
  models: number
}

/** The source as a prefix that ends in '/': `s3://b/models` and `s3://b/models/` are the same folder. */
export function sourcePrefix(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`
}

/** The S3 prefix that selects a folder of the source ('' selects everything). */
export function folderPrefix(uri: string, folder: string): string {
  return folder === '' ? '' : `${sourcePrefix(uri)}${folder}/`
}

/** Models per folder, counted into every folder above them too. */
export function countByFolder(uri: string, models: Iterable<ScannedModel>): Map<string, number> {
  const base = sourcePrefix(uri)
  const counts = new Map<string, number>()
  for (const m of models) {
    if (m.s3Uri === undefined || !m.s3Uri.startsWith(base)) continue
    const segments = m.s3Uri.slice(base.length).split('/')
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/')
      counts.set(folder, (counts.get(folder) ?? 0) + 1)
    }
  }
  return counts
}

/**
 * The rows of the tree with `selected` open: every top-level folder, and the children of the selected
 * folder and of each folder above it (as a file manager's sidebar unfolds the path you are in).
 */
export function visibleFolders(
  folders: readonly string[],
  counts: ReadonlyMap<string, number>,
  selected: string,
): FolderNode[] {
  const open = new Set<string>([''])
  if (selected) {
    const segments = selected.split('/')
    for (let i = 1; i <= segments.length; i++) open.add(segments.slice(0, i).join('/'))
  }
  const all = new Set(folders)
  for (const folder of counts.keys()) all.add(folder)
  return [...all]
    .filter((path) => open.has(path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''))
    .sort(treeOrder)
    .map((path) => ({
      path,
      name: path.slice(path.lastIndexOf('/') + 1),
      depth: path.split('/').length - 1,
      models: counts.get(path) ?? 0,
    }))
}

/** Parents before their children, siblings by name: compared segment by segment ('loras-x' after 'loras/sdxl'). */
function treeOrder(a: string, b: string): number {
  const sa = a.split('/')
  const sb = b.split('/')
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1
  }
  return sa.length - sb.length
}
