import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import {
  ACTIVE_STATUSES,
  TERMINAL_STATUSES,
  type DiskCheckResult,
  type DownloadServiceApi,
  type EnqueueEntry,
  type EnqueueRequest,
  type EnqueueResult,
  type ModelRecord,
  type ModelSelector,
  type MovePosition,
  type OwnerKind,
  type ServiceEvent,
  type ServiceSnapshot,
  type ServiceStatus,
  type StateRecovery,
  type StatusCounts,
} from '../../shared/service-contract'
import {
  describeZodError,
  EnqueueRequestSchema,
  ModelSelectorSchema,
  MovePositionSchema,
  StopWorkerOptionsSchema,
} from '../../shared/service-schemas'
import { redactS3Settings } from '../../shared/transfer'
import { PathGate } from '../gate/path-gate'
import type { WorkerLauncher } from '../worker-host'
import { batchProgress } from './batch-progress'
import { ChangeFeed } from './change-feed'
import { checkOnDisk } from './disk-check'
import { ClaimingRunner, volumeIdentity } from './claiming-runner'
import { claimTimingFromEnv } from '../claims/claim-timing'
import { resolveLink } from './link-resolver'
import type { LinkOutcome } from './local/model-link'
import { loadRecords } from './load-records'
import { ServiceError } from './owner/service-error'
import type { Logger } from './persist/log'
import type { ProgressFileWriter } from './persist/progress-file'
import type { PersistedState, StateStore } from './persist/state-store'
import { QueueCore } from './queue-core'
import { inQueueOrder } from './queue-order'
import { checkRequestPaths } from './request-paths'
import { downloadSlots, type ServiceSettings } from './run-settings'
import { matchSelector } from './selectors'
import type { StatePaths } from './state-paths'
import { runJob } from './run-job'
import { planEnqueue } from './enqueue-plan'
import { discardPart } from './discard-part'

export { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from './run-settings'

export interface ServiceDeps {
  paths: StatePaths
  settings: ServiceSettings
  ownerKind: OwnerKind
  workerEntry: string
  launcher?: WorkerLauncher
  env?: Record<string, string | undefined>
  store: StateStore
  progressFile: ProgressFileWriter
  log: Logger
  /** Folders searched for partial downloads when the state file had to be rebuilt. */
  modelsRoots: string[]
  /** Open without starting anything (a command that only changes the queue, then closes). */
  halted?: boolean
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value)
  if (!result.success)
    throw new ServiceError('bad_request', `Invalid ${what}: ${describeZodError(result.error)}`)
  return result.data
}

/**
 * The single owner of queue, progress and model state: the contract's API over the queue's state
 * machine (QueueCore, queue-machine.ts), with its effects in files of their own: the worker pool
 * (ClaimingRunner, JobRunner, run-job.ts; claims on a shared volume), the progress tick and change events (ChangeFeed), links (link-resolver.ts),
 * the disk check (disk-check.ts) and persistence (the state store and the old system's progress file).
 */
export class DownloadService implements DownloadServiceApi {
  private readonly core: QueueCore
  private readonly feed: ChangeFeed
  private readonly runner: ClaimingRunner
  private latestBatch: string | null = null
  private closed = false
  /** stopWorker was called: nothing new starts until startWorker. */
  private halted = false
  private readonly since = new Date().toISOString()
  /** Which paths the service may write, whoever asks: the models roots. */
  private readonly gate: PathGate
  /** How load() recovered a damaged state file; undefined when it was good or absent. */
  private recoveredFrom: StateRecovery | undefined
  private diskCheck: Promise<DiskCheckResult> | null = null

  private constructor(private readonly deps: ServiceDeps) {
    this.halted = deps.halted ?? false
    this.gate = new PathGate(deps.settings.modelsRoots ?? deps.modelsRoots)
    this.feed = new ChangeFeed(
      {
        record: (id) => this.core.records.get(id),
        queue: () => this.core.queue,
        batch: () => this.batch(),
        counts: () => this.counts(),
      },
      () => this.deps.progressFile.update([...this.core.records.values()]),
    )
    this.core = new QueueCore({
      settings: () => this.deps.settings,
      runner: () => this.runner,
      discardPart: (localPath) => discardPart(localPath, this.gate, deps.log),
      publish: (records, removed) => {
        this.feed.changed(records, removed)
        this.persistSoon()
      },
      settleLink: async (r) => void (await this.settleLink(r)),
      pump: () => this.pump(),
      log: deps.log,
    })
    const env = { ...process.env, ...deps.env }
    this.runner = new ClaimingRunner({
      identity: volumeIdentity(deps.paths.dir, env),
      timing: claimTimingFromEnv(env),
      entry: deps.workerEntry,
      ...(deps.launcher ? { launcher: deps.launcher } : {}),
      ...(deps.env ? { env: deps.env } : {}),
      settings: () => this.deps.settings,
      onProgress: (p) => {
        if (this.core.progress(p)) this.feed.progressed(p.id)
      },
      log: deps.log,
    })
  }

  /** Loads the state (recovering from a corrupt file), checks it against the disk, starts the queue. */
  static async open(deps: ServiceDeps): Promise<DownloadService> {
    const service = new DownloadService(deps)
    await service.load()
    await service.checkDisk()
    service.pump()
    return service
  }

  // ---- the contract ----------------------------------------------------------------------------

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const { entries, force } = parse(EnqueueRequestSchema, request, 'enqueue request')
    await checkRequestPaths(this.gate, entries)
    const batchId = randomUUID()
    const plan = await planEnqueue(entries as EnqueueEntry[], this.core.records, {
      batchId,
      now: new Date().toISOString(),
      ...(force ? { force } : {}),
    })
    const { result } = plan
    for (const r of plan.again) this.core.apply(r, { type: 'resume' })
    for (const r of plan.added) this.core.add(r)
    this.latestBatch = batchId
    this.core.publish()
    this.deps.log.info(
      `Enqueued batch ${batchId}: ${result.queued.length} to download, ${result.linked.length} links, ` +
        `${result.alreadyComplete.length} already complete, ${result.alreadyQueued.length} already queued`,
    )
    // Links whose target is already complete can be made now; one that already stood right was
    // already complete, not "to link".
    for (const id of [...result.linked]) {
      const outcome = await this.settleLink(this.core.records.get(id)!)
      if (outcome === 'already_linked' || outcome === 'kept_existing_file') {
        result.linked.splice(result.linked.indexOf(id), 1)
        result.alreadyComplete.push(id)
      }
    }
    this.pump()
    return result
  }

  async cancel(selector: ModelSelector): Promise<string[]> {
    return this.command(selector, 'cancel', (r) => ACTIVE_STATUSES.includes(r.status))
  }

  async pause(selector: ModelSelector): Promise<string[]> {
    return this.command(selector, 'pause', (r) => r.status === 'queued' || r.status === 'progress')
  }

  async resume(selector: ModelSelector): Promise<string[]> {
    return this.command(selector, 'resume', (r) => r.status === 'paused')
  }

  async retry(selector: ModelSelector): Promise<string[]> {
    return this.command(selector, 'retry', (r) => r.status === 'failed' || r.status === 'cancelled')
  }

  async move(id: string, position: MovePosition): Promise<void> {
    const where = parse(MovePositionSchema, position, 'position')
    if (!this.core.move(id, where)) throw new ServiceError('not_found', `${id} is not in the queue`)
  }

  async list(): Promise<ModelRecord[]> {
    return inQueueOrder(this.core.queue, this.core.records.values()).map((r) => ({ ...r }))
  }

  async snapshot(): Promise<ServiceSnapshot> {
    // Bytes still waiting for their tick are part of the truth now.
    this.feed.tick()
    return {
      ...this.feed.position,
      records: await this.list(),
      queue: [...this.core.queue],
      batch: this.batch(),
      counts: this.counts(),
    }
  }

  /**
   * Checks every record that claims bytes on disk against the disk: a completed file that is gone or
   * changed is forgotten, a partial download's bytes are what its `.part` holds. Calls while one runs
   * share it.
   */
  checkDisk(): Promise<DiskCheckResult> {
    this.diskCheck ??= this.runDiskCheck().finally(() => (this.diskCheck = null))
    return this.diskCheck
  }

  async status(): Promise<ServiceStatus> {
    const { paths, settings } = this.deps
    return {
      stateDir: paths.dir,
      files: {
        state: paths.stateFile,
        progress: paths.progressFile,
        log: paths.logFile,
        socket: paths.socketPath,
      },
      owner: { pid: process.pid, kind: this.deps.ownerKind, since: this.since },
      worker: this.runner.worker,
      queueLength: this.core.queue.length,
      active: this.core.running.size,
      counts: this.counts(),
      batch: this.batch(),
      ...this.feed.position,
      settings: {
        concurrency: settings.concurrency,
        maxConnections: settings.maxConnections,
        bandwidthLimitBps: settings.tuning.bandwidthLimitBps,
      },
      s3: redactS3Settings(settings.s3),
      ...(this.recoveredFrom ? { recovered: this.recoveredFrom } : {}),
    }
  }

  /** How the state file was recovered when this service opened it, if it was damaged. */
  get recovery(): StateRecovery | undefined {
    return this.recoveredFrom
  }

  async stopWorker(options: { force: boolean }): Promise<void> {
    const { force } = parse(StopWorkerOptionsSchema, options, 'options')
    this.halted = true
    // Running transfers pause with their `.part` kept and go back to the queue for the next start.
    if (force) await this.cancel({ all: true })
    else this.core.requeueRunning()
    await this.waitIdle()
    await this.runner.shutdown()
  }

  async startWorker(): Promise<void> {
    this.halted = false
    this.pump()
  }

  /**
   * New settings. Concurrency and the connection budget apply at once (more slots start queued models
   * now; fewer let running ones finish). The bandwidth limit reaches running transfers; S3 and transfer
   * tuning changes apply to the next jobs (JobRunner).
   */
  applySettings(next: ServiceSettings): void {
    const previous = this.deps.settings
    this.deps.settings = next
    if (next.modelsRoots) this.gate.setRoots(next.modelsRoots)
    this.runner.settingsChanged(previous, next)
    const limit = next.tuning.bandwidthLimitBps
    this.deps.log.info(
      `Settings applied: concurrency ${next.concurrency}, ${next.maxConnections} connections, ` +
        `limit ${limit > 0 ? `${limit} B/s` : 'none'}`,
    )
    this.pump()
  }

  // ---- events and waiting --------------------------------------------------------------------------

  on(listener: (event: ServiceEvent) => void): () => void {
    return this.feed.on(listener)
  }

  /** Resolves once nothing is running (and nothing can start: used by `download --wait` and shutdown). */
  waitIdle(): Promise<void> {
    return this.core.waitIdle()
  }

  /** Whether these ids have all reached completed, failed or cancelled. */
  allTerminal(ids: readonly string[]): boolean {
    return ids.every((id) => {
      const r = this.core.records.get(id)
      return !r || TERMINAL_STATUSES.includes(r.status)
    })
  }

  /** Nothing running and nothing that will start (queued models may remain while halted). */
  get idle(): boolean {
    if (this.core.running.size > 0 || this.core.retrying) return false
    return this.halted || ![...this.core.records.values()].some((r) => r.status === 'queued' && !r.linkTo)
  }

  get isHalted(): boolean {
    return this.halted
  }

  record(id: string): ModelRecord | undefined {
    const r = this.core.records.get(id)
    return r ? { ...r } : undefined
  }

  /** Pauses what is running (keeping `.part` files), saves everything, stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return
    this.halted = true
    this.core.requeueRunning()
    await this.waitIdle()
    this.closed = true
    this.core.dispose()
    this.feed.dispose()
    await this.runner.shutdown()
    await this.persist()
    await this.deps.store.flush()
    await this.deps.progressFile.flush()
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async load(): Promise<void> {
    const { records, queue, recovery } = await loadRecords(
      this.deps.store,
      this.deps.modelsRoots,
      this.deps.log,
    )
    this.recoveredFrom = recovery
    this.core.restore(records, queue)
    const latest = [...records].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
    this.latestBatch = latest?.batchId ?? null
    this.persistSoon()
  }

  private async runDiskCheck(): Promise<DiskCheckResult> {
    const candidates = [...this.core.records.values()].filter((r) => !this.core.running.has(r.id))
    const findings = await checkOnDisk(candidates)
    const result: DiskCheckResult = { checked: candidates.length, forgotten: [], corrected: [] }
    for (const f of findings) {
      const r = this.core.records.get(f.id)
      // Changed while the disk was read (started, cancelled, completed again): the newer state stands.
      if (!r || this.core.running.has(f.id)) continue
      if (f.kind === 'gone' && r.status === 'completed') {
        this.deps.log.warn(`${r.localPath} was completed but ${f.reason}: no longer counted as installed`)
        this.core.apply(r, { type: 'file-gone', reason: f.reason })
        result.forgotten.push(f.id)
      } else if (f.kind === 'partial' && r.status !== 'completed') {
        this.core.correctBytes(r, f.bytes)
        result.corrected.push(f.id)
      }
    }
    this.core.publish()
    return result
  }

  private counts(): StatusCounts {
    const counts = { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 }
    for (const r of this.core.records.values()) counts[r.status]++
    return counts
  }

  private batch() {
    return batchProgress([...this.core.records.values()], this.latestBatch)
  }

  /** One command over the records a selector picks, among those `eligible`; one change event for all. */
  private async command(
    selector: ModelSelector,
    type: 'cancel' | 'pause' | 'resume' | 'retry',
    eligible: (r: ModelRecord) => boolean,
  ): Promise<string[]> {
    const sel = parse(ModelSelectorSchema, selector, 'selector')
    const matched = matchSelector([...this.core.records.values()], sel)
    if (matched.length === 0 && !('all' in sel) && !('allFailed' in sel)) {
      throw new ServiceError('not_found', `No model matches ${JSON.stringify(sel)}`)
    }
    const ids = matched.filter(eligible).map((r) => r.id)
    for (const id of ids) this.core.apply(this.core.records.get(id)!, { type })
    this.core.publish()
    this.pump()
    // Partial files of cancelled downloads that were not running are removed before the answer.
    await this.core.discarded()
    return ids
  }

  /** Starts queued downloads while there are free slots and connections. */
  private pump(): void {
    if (this.closed || this.halted) return
    const slots = downloadSlots(this.deps.settings)
    for (const id of this.core.queue) {
      if (this.core.running.size >= slots) break
      const r = this.core.records.get(id)
      if (r && this.core.startable(r)) this.start(r)
    }
  }

  private start(r: ModelRecord): void {
    this.core.apply(r, { type: 'start' })
    this.core.publish()
    const done = runJob(r, {
      gate: this.gate,
      runner: this.runner,
      settings: this.deps.settings,
      // Stopped while the paths were checked: the worker never saw it.
      stillWanted: () => this.core.records.get(r.id)?.status === 'progress',
    })
    this.core.track(r.id, done)
  }

  /** Makes a waiting link once its target is complete (or fails it if the target cannot be linked). */
  private async settleLink(r: ModelRecord): Promise<LinkOutcome | undefined> {
    if (!r.linkTo || r.status !== 'queued') return undefined
    const resolution = await resolveLink(r, this.core.records.get(r.linkTo), this.gate)
    if (resolution.kind === 'wait' || this.core.records.get(r.id) !== r) return undefined
    if (resolution.outcome) this.deps.log.info(`Link ${r.localPath} → ${r.linkTo}: ${resolution.outcome}`)
    this.core.apply(r, resolution.event)
    this.core.publish()
    return resolution.outcome
  }

  private persistSoon(): void {
    void this.persist()
  }

  private async persist(): Promise<void> {
    const state: PersistedState = {
      version: 1,
      queue: [...this.core.queue],
      records: [...this.core.records.values()].map((r) => ({ ...r })),
    }
    this.deps.progressFile.update(state.records)
    try {
      await this.deps.store.save(state)
    } catch (err) {
      this.deps.log.error(`Could not save the queue to ${this.deps.paths.stateFile}: ${String(err)}`)
    }
  }
}
