import { readFile, rm } from 'node:fs/promises'
// zod's tree-shakable build: the full one is evaluated at every worker start for this one schema
// (what it cost: docs/benchmarks.md, "Measurements behind the engine's choices").
import { z } from 'zod/mini'
import { writeFileAtomic } from '../fs/atomic-write'

/** `<final>.part.json`: what a later run needs to resume `<final>.part` safely. */
const SidecarSchema = z.object({
  version: z.literal(1),
  // The source (ObjectSource.identity): an s3:// URI, or an https URL with credentials masked. The
  // name is from when S3 was the only source; sidecars on disk keep it.
  s3Uri: z.string(),
  etag: z.string(),
  size: z.int().check(z.nonnegative()),
  ranges: z.array(z.tuple([z.int().check(z.nonnegative()), z.int().check(z.nonnegative())])),
  updatedAt: z.string(),
})
export type Sidecar = z.infer<typeof SidecarSchema>

export function sidecarPath(localPath: string): string {
  return `${localPath}.part.json`
}

export function partPath(localPath: string): string {
  return `${localPath}.part`
}

/** The sidecar if it exists and is well-formed; a damaged one means "start over", never an error. */
export async function loadSidecar(localPath: string): Promise<Sidecar | null> {
  try {
    return SidecarSchema.parse(JSON.parse(await readFile(sidecarPath(localPath), 'utf8')))
  } catch {
    return null
  }
}

export async function saveSidecar(
  localPath: string,
  sidecar: Omit<Sidecar, 'version' | 'updatedAt'>,
): Promise<void> {
  const data: Sidecar = { version: 1, ...sidecar, updatedAt: new Date().toISOString() }
  await writeFileAtomic(sidecarPath(localPath), JSON.stringify(data))
}

export async function removePartFiles(localPath: string): Promise<void> {
  await rm(partPath(localPath), { force: true })
  await rm(sidecarPath(localPath), { force: true })
}
