// The claim on a target file that many machines sharing one volume agree on: the directory
// `<file>.modeldl-claim` beside the target. mkdir is atomic on local filesystems and on NFS (the server
// decides), so exactly one machine creates it and writes `<file>.part`. Inside, `owner.json` says who
// holds it (host, pid, state folder, start time) and carries a heartbeat counter and the transfer's
// progress for the machines that follow. A takeover of a stale claim creates `gen-<n+1>` inside it:
// again a mkdir, so of several machines that find the same claim stale, one wins.
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'

export const CLAIM_SUFFIX = '.modeldl-claim'

export const ClaimOwnerSchema = z.object({
  version: z.literal(1),
  /** Unique per claim holder and generation: a holder that finds another token has lost its claim. */
  token: z.string(),
  generation: z.number().int().nonnegative(),
  host: z.string(),
  pid: z.number().int(),
  stateFolder: z.string(),
  startedAt: z.string(),
  /** Goes up with every heartbeat; a follower judges staleness by its own clock, not the holder's. */
  beat: z.number().int().nonnegative(),
  bytesDone: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  speedBps: z.number().nonnegative(),
  /** Written once the file is at its final path, before the claim is released. */
  done: z.object({ verifiedBy: z.array(z.string()), etag: z.string(), size: z.number() }).optional(),
})
export type ClaimOwner = z.infer<typeof ClaimOwnerSchema>

/** Who we are on the volume. */
export interface ClaimIdentity {
  host: string
  pid: number
  stateFolder: string
}

export function claimDir(localPath: string): string {
  return `${localPath}${CLAIM_SUFFIX}`
}

function ownerPath(localPath: string): string {
  return join(claimDir(localPath), 'owner.json')
}

export function newToken(): string {
  return randomBytes(8).toString('hex')
}

/** Something other than a claim folder stands where a claim goes: nothing may be written through it. */
export class NotAClaimError extends Error {
  constructor(localPath: string, what: string) {
    super(
      `${claimDir(localPath)} is ${what}, not a claim folder of modeldl: remove it to download ${localPath}`,
    )
    this.name = 'NotAClaimError'
  }
}

/**
 * The claim's owner file: null when there is no claim, or its owner file is not (yet) readable. Throws
 * NotAClaimError for a symbolic link or a file at the claim's path (a link could lead writes elsewhere).
 */
export async function readClaim(localPath: string): Promise<{ exists: boolean; owner: ClaimOwner | null }> {
  const st = await lstat(claimDir(localPath)).catch(() => null)
  if (st && !st.isDirectory())
    throw new NotAClaimError(localPath, st.isSymbolicLink() ? 'a symbolic link' : 'a file')
  try {
    const text = await readFile(ownerPath(localPath), 'utf8')
    const parsed = ClaimOwnerSchema.safeParse(JSON.parse(text))
    return { exists: true, owner: parsed.success ? parsed.data : null }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // No owner file (yet): whether there is a claim is what the lstat above saw.
    if (code === 'ENOENT') return { exists: st !== null, owner: null }
    // A half-written file cannot happen (owner.json is replaced by rename); a bad one is unreadable.
    return { exists: true, owner: null }
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Writes the owner file whole (temp file and rename: a reader sees the old or the new one). */
export async function writeClaim(localPath: string, owner: ClaimOwner): Promise<void> {
  const path = ownerPath(localPath)
  const tmp = `${path}.${owner.token}.tmp`
  await writeFile(tmp, JSON.stringify(owner))
  await rename(tmp, path)
}

/** Creates the claim: true when this call made it, false when another machine holds it already. */
export async function createClaim(localPath: string): Promise<boolean> {
  try {
    await mkdir(claimDir(localPath))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/** Takes over generation `seen` of a stale claim: true for the one machine whose mkdir made `gen-<seen+1>`. */
export async function takeOverClaim(localPath: string, seen: number): Promise<boolean> {
  try {
    await mkdir(join(claimDir(localPath), `gen-${seen + 1}`))
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // EEXIST: another machine won; ENOENT: the claim was released meanwhile (claim it afresh).
    if (code === 'EEXIST' || code === 'ENOENT') return false
    throw err
  }
}

/**
 * Whether generation `generation` of the claim is still the newest: the `gen-<n+1>` mkdir of a takeover
 * is the moment a claim changes hands, whatever the owner file says a moment later.
 */
export async function generationIsNewest(localPath: string, generation: number): Promise<boolean> {
  if (!(await exists(claimDir(localPath)))) return false
  return !(await exists(join(claimDir(localPath), `gen-${generation + 1}`)))
}

/** Removes the claim and everything in it. */
export async function removeClaim(localPath: string): Promise<void> {
  await rm(claimDir(localPath), { recursive: true, force: true })
}

/** Followers announce themselves so the holder waits for them to read `done` before it releases. */
export async function addFollower(localPath: string, id: string): Promise<void> {
  await writeFile(join(claimDir(localPath), `follower-${id}`), '').catch(() => undefined)
}

export async function removeFollower(localPath: string, id: string): Promise<void> {
  await rm(join(claimDir(localPath), `follower-${id}`), { force: true })
}

export async function hasFollowers(localPath: string): Promise<boolean> {
  try {
    return (await readdir(claimDir(localPath))).some((n) => n.startsWith('follower-'))
  } catch {
    return false
  }
}
