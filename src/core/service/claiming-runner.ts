// Jobs on a volume other machines share: before a job writes `<file>.part` it claims the file
// (src/core/claims). A file another machine holds is followed instead of fetched: its progress comes
// from the claim's heartbeat, and the job completes when the file lands verified. A claim that went
// stale is taken over and the transfer resumes from the sidecar the last holder left.
import { hostname } from 'node:os'
import { mkdir, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { TransferJob, TransferProgress, TransferResult } from '../../shared/transfer'
import { describeVerification } from '../../shared/verification'
import {
  addFollower,
  NotAClaimError,
  readClaim,
  removeFollower,
  type ClaimIdentity,
} from '../claims/claim-file'
import type { ClaimTiming } from '../claims/claim-timing'
import { HeldClaim } from '../claims/held-claim'
import { StaleWatch } from '../claims/stale-watch'
import { ConfinedFolder } from '../transfer/confined-folder'
import { TransferError, TransferStopped } from '../transfer/errors'
import { JobRunner, type JobRunnerOptions } from './job-runner'
import type { Logger } from './persist/log'

export interface ClaimingRunnerOptions extends JobRunnerOptions {
  identity: ClaimIdentity
  timing: ClaimTiming
}

/** This machine's name on the volume: MODELDL_HOST_NAME, else the host name. */
export function volumeIdentity(stateFolder: string, env: Record<string, string | undefined>): ClaimIdentity {
  return { host: env['MODELDL_HOST_NAME'] || hostname(), pid: process.pid, stateFolder }
}

type StopReason = 'cancelled' | 'paused'

interface Active {
  /** Set while following: stops the follow loop. */
  stopFollowing: ((reason: StopReason) => void) | null
  held: HeldClaim | null
}

export class ClaimingRunner {
  private readonly inner: JobRunner
  private readonly active = new Map<string, Active>()
  private readonly log: Logger

  constructor(private readonly options: ClaimingRunnerOptions) {
    this.log = options.log
    this.inner = new JobRunner({
      ...options,
      onProgress: (p) => {
        this.active.get(p.id)?.held?.progress(p.bytesDone, p.totalBytes, p.speedBps)
        options.onProgress(p)
      },
    })
  }

  get worker(): { running: boolean; pid: number | null } {
    return this.inner.worker
  }

  settingsChanged(...args: Parameters<JobRunner['settingsChanged']>): void {
    this.inner.settingsChanged(...args)
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  cancel(id: string): void {
    this.stop(id, 'cancelled')
  }

  pause(id: string): void {
    this.stop(id, 'paused')
  }

  /** Fetches the file while this machine holds its claim, or follows the machine that does. */
  async run(job: TransferJob): Promise<TransferResult> {
    const active: Active = { stopFollowing: null, held: null }
    this.active.set(job.id, active)
    try {
      const path = await claimablePath(job)
      for (;;) {
        const held = await HeldClaim.create(path, this.options.identity, this.options.timing)
        if (held) return await this.fetch(job, held, active)
        const followed = await this.follow(job, path, active)
        if (followed.kind === 'landed') return followed.result
        if (followed.kind === 'took-over') return await this.fetch(job, followed.held, active)
        // The holder let go without a file (it failed, paused or was cancelled): claim it ourselves.
      }
    } catch (err) {
      if (err instanceof NotAClaimError) throw new TransferError('path_is_symlink', err.message)
      throw err
    } finally {
      this.active.delete(job.id)
    }
  }

  private stop(id: string, reason: StopReason): void {
    const active = this.active.get(id)
    if (active?.stopFollowing) active.stopFollowing(reason)
    else if (reason === 'cancelled') this.inner.cancel(id)
    else this.inner.pause(id)
  }

  private async fetch(job: TransferJob, held: HeldClaim, active: Active): Promise<TransferResult> {
    active.held = held
    let lost = false
    held.onLost(() => {
      lost = true
      this.log.warn(`${job.localPath}: another machine took over its claim; following it instead`)
      this.inner.pause(job.id)
    })
    try {
      const result = await this.inner.run(job)
      await held.finish({
        verifiedBy: result.verified.map(describeVerification),
        etag: result.etag,
        size: result.size,
      })
      return result
    } catch (err) {
      if (!lost) await held.release().catch(() => undefined)
      if (lost && err instanceof TransferStopped) return this.run(job)
      throw err
    } finally {
      active.held = null
    }
  }

  private async follow(
    job: TransferJob,
    path: string,
    active: Active,
  ): Promise<
    { kind: 'landed'; result: TransferResult } | { kind: 'took-over'; held: HeldClaim } | { kind: 'free' }
  > {
    const { identity, timing } = this.options
    const me = `${identity.host}-${identity.pid}-${encodeURIComponent(job.id).slice(-40)}`
    const watch = new StaleWatch(identity, timing.staleMs)
    const started = performance.now()
    let stopped: StopReason | null = null
    let wake: (() => void) | null = null
    active.stopFollowing = (reason) => {
      stopped = reason
      wake?.()
    }
    let done: { verifiedBy: string[]; etag: string; size: number } | undefined
    let host = ''
    // Read first: a link or a file where the claim goes is refused before anything is written into it.
    await readClaim(path)
    await addFollower(path, me)
    try {
      for (;;) {
        if (stopped) throw new TransferStopped(stopped)
        const { exists, owner } = await readClaim(path)
        if (owner) host = owner.host
        if (owner?.done) done = owner.done
        const size = await fileSize(path)
        const complete = size !== null && (job.expectedSize === undefined || size === job.expectedSize)
        if (complete && (!exists || done)) {
          return { kind: 'landed', result: followedResult(job, size, host, done, started) }
        }
        if (!exists) return { kind: 'free' }
        if (owner && !owner.done) {
          const eta = owner.speedBps > 0 ? (owner.totalBytes - owner.bytesDone) / owner.speedBps : null
          const progress: TransferProgress & { fetchedBy: string } = {
            id: job.id,
            phase: 'following',
            bytesDone: owner.bytesDone,
            totalBytes: owner.totalBytes || (job.expectedSize ?? 0),
            speedBps: owner.speedBps,
            etaSeconds: eta === null ? null : Math.round(eta),
            fetchedBy: owner.host,
          }
          this.options.onProgress(progress)
        }
        if (!owner?.done && watch.isStale(owner)) {
          const held = await HeldClaim.takeOver(path, owner?.generation ?? 0, identity, timing)
          if (held) {
            this.log.warn(`${path}: the claim of ${owner?.host ?? 'another machine'} went stale; taking over`)
            return { kind: 'took-over', held }
          }
          watch.reset()
        }
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, timing.followPollMs)
        })
        wake = null
      }
    } finally {
      active.stopFollowing = null
      await removeFollower(path, me).catch(() => undefined)
    }
  }
}

/**
 * The file's path in its real folder, made and checked against the roots the way the worker checks it:
 * a claim is written beside the file, so it must not follow a folder swapped for a link.
 */
async function claimablePath(job: TransferJob): Promise<string> {
  const folder = await ConfinedFolder.enter(dirname(job.localPath), job.roots)
  await mkdir(folder.real, { recursive: true })
  await folder.recheck()
  return folder.file(basename(job.localPath))
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path)
    return s.isFile() ? s.size : null
  } catch {
    return null
  }
}

function followedResult(
  job: TransferJob,
  size: number,
  host: string,
  done: { verifiedBy: string[]; etag: string } | undefined,
  started: number,
): TransferResult {
  return {
    id: job.id,
    localPath: job.localPath,
    size,
    etag: done?.etag ?? '',
    lastModified: null,
    verified: [],
    bytesFetched: 0,
    bytesResumed: 0,
    durationMs: Math.round(performance.now() - started),
    followed: { host, verifiedBy: done?.verifiedBy ?? [] },
  }
}
