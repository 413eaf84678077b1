import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { ModelRecord } from '../../../shared/service-contract'
import { ByteRanges } from '../../transfer/byte-ranges'
import { loadSidecar, partPath } from '../../transfer/sidecar'

const SIDECAR_SUFFIX = '.part.json'

export interface RebuildOptions {
  /** Folder levels searched below each root (a sidecar directly in the root is level 1). */
  maxDepth?: number
  /** batchId of the rebuilt records. */
  batchId?: string
  now?: Date
}

/**
 * When the state is lost, the partial downloads themselves say what was going on: every well-formed
 * `<file>.part.json` sidecar under the roots becomes a `paused` record the user can resume. Symbolic
 * links to folders are not followed (no loops), unreadable folders are skipped, and the group is the
 * parent folder's name (the old system's layout is `<root>/<group>/<model>`).
 */
export async function rebuildFromDisk(roots: string[], options: RebuildOptions = {}): Promise<ModelRecord[]> {
  const maxDepth = options.maxDepth ?? 6
  const now = (options.now ?? new Date()).toISOString()
  const sidecars = new Set<string>()
  for (const root of roots) await collect(resolve(root), 1, maxDepth, sidecars)

  const records: ModelRecord[] = []
  for (const sidecarFile of [...sidecars].sort()) {
    const localPath = sidecarFile.slice(0, -SIDECAR_SUFFIX.length)
    const sidecar = await loadSidecar(localPath)
    if (!sidecar) continue
    // Without the .part the ranges describe bytes that are gone: the transfer will start over.
    const hasPart = await stat(partPath(localPath)).then(
      (s) => s.isFile(),
      () => false,
    )
    const downloaded = hasPart ? Math.min(new ByteRanges(sidecar.ranges).total(), sidecar.size) : 0
    records.push({
      id: localPath,
      group: basename(dirname(localPath)),
      modelName: basename(localPath),
      ...(sidecar.s3Uri.startsWith('s3://') ? { s3Uri: sidecar.s3Uri } : { url: sidecar.s3Uri }),
      localPath,
      expectedSize: sidecar.size,
      status: 'paused',
      downloaded,
      totalSize: sidecar.size,
      speedBps: 0,
      etaSeconds: null,
      attempts: 0,
      autoRetries: 0,
      batchId: options.batchId ?? 'rebuilt',
      createdAt: now,
      lastUpdated: sidecar.updatedAt,
    })
  }
  return records
}

async function collect(dir: string, depth: number, maxDepth: number, found: Set<string>): Promise<void> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isFile() && entry.name.endsWith(SIDECAR_SUFFIX) && entry.name !== SIDECAR_SUFFIX) {
      found.add(path)
    } else if (entry.isDirectory() && depth < maxDepth) {
      await collect(path, depth + 1, maxDepth, found)
    }
  }
}
