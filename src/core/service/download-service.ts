import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import pLimit from 'p-limit'
import type { z } from 'zod'
import {
  ACTIVE_STATUSES,
  SIZE_ONLY,
  TERMINAL_STATUSES,
  verificationText,
  type DownloadServiceApi,
  type EnqueueEntry,
  type EnqueueRequest,
  type EnqueueResult,
  type ModelRecord,
  type ModelSelector,
  type MovePosition,
  type OwnerKind,
  type ProgressTick,
  type ServiceChange,
  type ServiceEvent,
  type ServiceSnapshot,
  type StatusCounts,
  type ServiceStatus,
  type StateRecovery,
} from '../../shared/service-contract'
import {
  describeZodError,
  EnqueueRequestSchema,
  ModelSelectorSchema,
  MovePositionSchema,
  StopWorkerOptionsSchema,
} from '../../shared/service-schemas'
import {
  redactS3Settings,
  type S3Settings,
  type TransferJob,
  type TransferProgress,
  type TransferResult,
  type TransferTuning,
  type VerifiedChecksum,
} from '../../shared/transfer'
import { PathCache } from '../config/path-safety'
import { GateError, PathGate } from '../gate/path-gate'
import { TransferError, TransferStopped } from '../transfer/errors'
import { removePartFiles } from '../transfer/sidecar'
import { WorkerHost, type WorkerLauncher } from '../worker-host'
import { batchProgress } from './batch-progress'
import { localState } from './local/install-state'
import { linkModel } from './local/model-link'
import { ServiceError } from './owner/service-error'
import type { Logger } from './persist/log'
import type { ProgressFileWriter } from './persist/progress-file'
import {
  describeRecovery,
  rebuildFromDisk,
  type PersistedState,
  type StateStore,
} from './persist/state-store'
import { inQueueOrder } from './queue-order'
import { matchSelector } from './selectors'
import type { StatePaths } from './state-paths'

export interface ServiceSettings {
  /** Downloads running at once. */
  concurrency: number
  /** Connections in total; a download counts as its connections per file (4 when automatic). */
  maxConnections: number
  /** Automatic retries of a failed download whose error is transient (network, 5xx, worker crash). */
  maxAutoRetries: number
  /** Fetch an object's `.tar.zst` sibling instead when the store has one (the old system's option). */
  compressedSiblings: boolean
  s3: S3Settings
  tuning: TransferTuning
  /** New models roots (a window changed the setting); without it the roots the service opened with stay. */
  modelsRoots?: string[]
}

export const DEFAULT_SERVICE_SETTINGS: Omit<ServiceSettings, 's3' | 'tuning'> = {
  concurrency: 3,
  maxConnections: 16,
  maxAutoRetries: 3,
  compressedSiblings: false,
}

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

/** Paths checked at once by the gate: enough to hide a network volume's latency, few enough not to flood it. */
const PATH_CHECKS_IN_FLIGHT = 32
/** Refused entries named in one error; the count says how many more. */
const REFUSALS_NAMED = 5

/** Progress ticks at most this often: ≤ 10 messages per second whatever the number of jobs. */
const TICK_MS = 100
const AUTO_RETRY_DELAY_MS = 2_000

/** "sha256 from config", "S3 CRC64NVME", "MD5 ETag": how a completed file was checked. */
function describeVerification(v: VerifiedChecksum): string {
  if (v.source === 'job') return `${v.algorithm} from config`
  if (v.source === 'etag') return 'MD5 ETag'
  return `S3 ${v.algorithm.toUpperCase()}`
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i])
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value)
  if (!result.success)
    throw new ServiceError('bad_request', `Invalid ${what}: ${describeZodError(result.error)}`)
  return result.data
}

/**
 * The single owner of queue, progress and model state. Runs downloads on one worker process, at most
 * `concurrency` at once; persists every change; writes the old system's progress file; emits batched
 * progress ticks and change events for whichever door (IPC, socket, WebSocket) is listening.
 */
export class DownloadService implements DownloadServiceApi {
  private readonly records = new Map<string, ModelRecord>()
  /** Ids in queue order (queued, running and paused records). */
  private queue: string[] = []
  private readonly running = new Set<string>()
  /** Records whose stop was asked for, and what they should end as. */
  private readonly stopping = new Map<string, 'cancelled' | 'paused' | 'queued'>()
  private readonly retryTimers = new Map<string, NodeJS.Timeout>()
  /** The worker each running job is on: after a settings change old jobs finish on the old worker. */
  private readonly jobHosts = new Map<string, WorkerHost>()
  private readonly retiring = new Set<Promise<void>>()
  private readonly events = new EventEmitter()
  private readonly dirtyProgress = new Set<string>()
  private tickTimer: NodeJS.Timeout | null = null
  private host: WorkerHost | null = null
  private latestBatch: string | null = null
  private closed = false
  /** stopWorker was called: nothing new starts until startWorker. */
  private halted = false
  private readonly since = new Date().toISOString()
  /** Which paths the service may write, whoever asks: the models roots. */
  private readonly gate: PathGate
  /** This run's events: a client that sees another epoch or a skipped revision asks for a snapshot. */
  private readonly epoch = randomUUID()
  private revision = 0
  /** The queue order the last change event (or snapshot) told: a change event carries it when it differs. */
  private toldQueue: readonly string[] = []
  /** How load() recovered a damaged state file; undefined when it was good or absent. */
  private recoveredFrom: StateRecovery | undefined

  private constructor(private readonly deps: ServiceDeps) {
    this.events.setMaxListeners(0)
    this.halted = deps.halted ?? false
    this.gate = new PathGate(deps.settings.modelsRoots ?? deps.modelsRoots)
  }

  /** Loads the state (recovering from a corrupt file), resumes what was running, and starts the queue. */
  static async open(deps: ServiceDeps): Promise<DownloadService> {
    const service = new DownloadService(deps)
    await service.load()
    service.pump()
    return service
  }

  // ---- the contract ----------------------------------------------------------------------------

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const { entries, force } = parse(EnqueueRequestSchema, request, 'enqueue request')
    await this.checkPaths(entries)
    const batchId = randomUUID()
    const result: EnqueueResult = { batchId, queued: [], alreadyQueued: [], alreadyComplete: [], linked: [] }
    const now = new Date().toISOString()
    // The first entry of each S3 object in this request (or already queued) is its download; the
    // others become links to it: download once, link many.
    const primaryByObject = new Map<string, string>()
    for (const r of this.records.values()) {
      if (ACTIVE_STATUSES.includes(r.status) && !r.linkTo) primaryByObject.set(r.s3Uri, r.id)
    }
    const seen = new Set<string>()
    for (const entry of entries as EnqueueEntry[]) {
      const id = resolve(entry.localPath)
      if (seen.has(id)) continue
      seen.add(id)
      const existing = this.records.get(id)
      if (existing && ACTIVE_STATUSES.includes(existing.status)) {
        // Asked for again: a paused model resumes (the way to continue after Ctrl-C in --wait).
        if (existing.status === 'paused') await this.resume({ ids: [id] })
        result.alreadyQueued.push(id)
        continue
      }
      const record = this.newRecord(entry, id, batchId, now)
      const primary = primaryByObject.get(entry.s3Uri)
      if (entry.symLinkedFrom) {
        record.linkTo = resolve(entry.symLinkedFrom)
        record.linkReason = 'symLinkedFrom'
      } else if (primary && primary !== id) {
        record.linkTo = primary
        record.linkReason = 'same-object'
      } else {
        primaryByObject.set(entry.s3Uri, id)
        if (!force) {
          const state = await localState(id, entry.expectedSize)
          if (state.kind === 'installed') {
            // Found complete on disk: only its length can be vouched for without reading it all.
            Object.assign(record, {
              status: 'completed',
              downloaded: entry.expectedSize,
              finishedAt: now,
              verifiedBy: [SIZE_ONLY],
            })
            result.alreadyComplete.push(id)
          }
        }
      }
      if (record.linkTo) result.linked.push(id)
      else if (record.status === 'queued') result.queued.push(id)
      this.records.set(id, record)
      this.queue = this.queue.filter((q) => q !== id)
      if (record.status === 'queued') this.queue.push(id)
    }
    this.latestBatch = batchId
    this.changed([...seen].map((id) => this.records.get(id)!).filter(Boolean))
    this.deps.log.info(
      `Enqueued batch ${batchId}: ${result.queued.length} to download, ${result.linked.length} links, ` +
        `${result.alreadyComplete.length} already complete, ${result.alreadyQueued.length} already queued`,
    )
    // Links whose target is already complete can be made now.
    for (const id of result.linked) await this.settleLink(this.records.get(id)!)
    this.pump()
    return result
  }

  /** Every path of a request through the gate first: one refused entry, and nothing of it is queued. */
  private async checkPaths(entries: readonly EnqueueEntry[]): Promise<void> {
    const refusals: string[] = []
    const limit = pLimit(PATH_CHECKS_IN_FLIGHT)
    // Each folder's real path is found once per request, not once per entry.
    const cache = new PathCache()
    const check = (path: string | undefined, field: string): Promise<void> | undefined =>
      path === undefined
        ? undefined
        : limit(async () => {
            try {
              await this.gate.modelPath(path, field, cache)
            } catch (err) {
              if (!(err instanceof GateError)) throw err
              refusals.push(err.message)
            }
          })
    await Promise.all(
      entries.flatMap((e, i) => [
        check(e.localPath, `entries.${i}.localPath`),
        check(e.symLinkedFrom, `entries.${i}.symLinkedFrom`),
      ]),
    )
    if (refusals.length === 0) return
    refusals.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    const more = refusals.length - REFUSALS_NAMED
    throw new ServiceError(
      'forbidden',
      `Nothing was queued: ${refusals.slice(0, REFUSALS_NAMED).join('; ')}` +
        (more > 0 ? `; and ${more} more outside the models roots` : ''),
    )
  }

  async cancel(selector: ModelSelector): Promise<string[]> {
    const ids = this.select(selector, (r) => ACTIVE_STATUSES.includes(r.status))
    for (const id of ids) {
      const r = this.records.get(id)!
      this.clearRetry(id)
      if (this.running.has(id)) {
        // The worker removes `.part` and reports back; the status is `cancelled` from now on, and a
        // late "done" from a transfer that was already finishing cannot overwrite it.
        this.stopping.set(id, 'cancelled')
        this.jobHosts.get(id)?.cancel(id)
      } else if (r.status === 'paused' || r.downloaded > 0) {
        await removePartFiles(r.localPath)
      }
      this.finish(r, 'cancelled')
    }
    this.pump()
    return ids
  }

  async pause(selector: ModelSelector): Promise<string[]> {
    const ids = this.select(selector, (r) => r.status === 'queued' || r.status === 'progress')
    for (const id of ids) {
      const r = this.records.get(id)!
      this.clearRetry(id)
      if (this.running.has(id)) {
        this.stopping.set(id, 'paused')
        this.jobHosts.get(id)?.pause(id)
      }
      this.update(r, { status: 'paused', speedBps: 0, etaSeconds: null })
    }
    this.pump()
    return ids
  }

  async resume(selector: ModelSelector): Promise<string[]> {
    const ids = this.select(selector, (r) => r.status === 'paused')
    for (const id of ids) {
      // Still stopping (the worker has not answered yet): it is picked up again when it has.
      if (this.stopping.get(id) === 'paused') this.stopping.set(id, 'queued')
      this.update(this.records.get(id)!, { status: 'queued' })
    }
    this.pump()
    return ids
  }

  async retry(selector: ModelSelector): Promise<string[]> {
    const ids = this.select(selector, (r) => r.status === 'failed' || r.status === 'cancelled')
    for (const id of ids) {
      const r = this.records.get(id)!
      this.update(r, {
        status: 'queued',
        autoRetries: 0,
        errorCode: undefined,
        errorMessage: undefined,
        finishedAt: undefined,
      })
      if (!this.queue.includes(id)) this.queue.push(id)
    }
    this.pump()
    return ids
  }

  async move(id: string, position: MovePosition): Promise<void> {
    const where = parse(MovePositionSchema, position, 'position')
    const index = this.queue.indexOf(id)
    if (index < 0) throw new ServiceError('not_found', `${id} is not in the queue`)
    const q = this.queue.filter((x) => x !== id)
    const to = { top: 0, bottom: q.length, up: Math.max(0, index - 1), down: Math.min(q.length, index + 1) }[
      where
    ]
    q.splice(to, 0, id)
    this.queue = q
    this.changed([this.records.get(id)!])
  }

  async list(): Promise<ModelRecord[]> {
    return inQueueOrder(this.queue, this.records.values()).map((r) => ({ ...r }))
  }

  async snapshot(): Promise<ServiceSnapshot> {
    // Bytes still waiting for their tick are part of the truth now.
    if (this.dirtyProgress.size > 0) this.flushProgress()
    return {
      epoch: this.epoch,
      revision: this.revision,
      records: await this.list(),
      queue: [...this.queue],
      batch: this.batch(),
      counts: this.counts(),
    }
  }

  private counts(): StatusCounts {
    const counts = { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 }
    for (const r of this.records.values()) counts[r.status]++
    return counts
  }

  private batch() {
    return batchProgress([...this.records.values()], this.latestBatch)
  }

  async status(): Promise<ServiceStatus> {
    const counts = this.counts()
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
      worker: { running: this.host?.running ?? false, pid: this.host?.pid ?? null },
      queueLength: this.queue.length,
      active: this.running.size,
      counts,
      batch: this.batch(),
      epoch: this.epoch,
      revision: this.revision,
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
    if (force) await this.cancel({ all: true })
    else {
      // Running transfers pause with their `.part` kept and go back to the queue for the next start.
      for (const id of this.running) {
        this.stopping.set(id, 'queued')
        this.jobHosts.get(id)?.pause(id)
      }
    }
    await this.waitIdle()
    await this.host?.shutdown()
    await Promise.all(this.retiring)
    this.host = null
  }

  async startWorker(): Promise<void> {
    this.halted = false
    this.pump()
  }

  /**
   * New settings from the window. Concurrency and the connection budget apply at once (more slots
   * start queued models now; fewer let running ones finish). The bandwidth limit reaches running
   * transfers through the worker's set-bandwidth message. S3 and transfer tuning changes apply to the
   * next jobs: they start on a fresh worker while running ones finish on the old one, which then exits.
   */
  applySettings(next: ServiceSettings): void {
    const previous = this.deps.settings
    this.deps.settings = next
    if (next.modelsRoots) this.gate.setRoots(next.modelsRoots)
    const limit = next.tuning.bandwidthLimitBps
    if (previous.tuning.bandwidthLimitBps !== limit) {
      for (const host of new Set([this.host, ...this.jobHosts.values()])) host?.setBandwidth(limit)
    }
    const workerConfig = (s: ServiceSettings): string =>
      JSON.stringify([s.s3, { ...s.tuning, bandwidthLimitBps: 0 }])
    if (this.host && workerConfig(previous) !== workerConfig(next)) {
      const old = this.host
      this.host = null
      this.retireWhenIdle(old)
    }
    this.deps.log.info(
      `Settings applied: concurrency ${next.concurrency}, ${next.maxConnections} connections, ` +
        `limit ${limit > 0 ? `${limit} B/s` : 'none'}`,
    )
    this.pump()
  }

  // ---- events --------------------------------------------------------------------------------------

  on(listener: (event: ServiceEvent) => void): () => void {
    this.events.on('event', listener)
    return () => this.events.off('event', listener)
  }

  /** Resolves once nothing is running (and nothing can start: used by `download --wait` and shutdown). */
  async waitIdle(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => this.events.once('settled', r))
  }

  /** Whether these ids have all reached completed, failed or cancelled. */
  allTerminal(ids: readonly string[]): boolean {
    return ids.every((id) => {
      const r = this.records.get(id)
      return !r || TERMINAL_STATUSES.includes(r.status)
    })
  }

  /** Nothing running and nothing that will start (queued models may remain while halted). */
  get idle(): boolean {
    if (this.running.size > 0 || this.retryTimers.size > 0) return false
    return this.halted || ![...this.records.values()].some((r) => r.status === 'queued' && !r.linkTo)
  }

  get isHalted(): boolean {
    return this.halted
  }

  record(id: string): ModelRecord | undefined {
    const r = this.records.get(id)
    return r ? { ...r } : undefined
  }

  /** Pauses what is running (keeping `.part` files), saves everything, stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return
    this.halted = true
    for (const id of this.running) {
      this.stopping.set(id, 'queued')
      this.jobHosts.get(id)?.pause(id)
    }
    await this.waitIdle()
    this.closed = true
    for (const t of this.retryTimers.values()) clearTimeout(t)
    if (this.tickTimer) clearTimeout(this.tickTimer)
    await this.host?.shutdown()
    await Promise.all(this.retiring)
    await this.persist()
    await this.deps.store.flush()
    await this.deps.progressFile.flush()
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async load(): Promise<void> {
    const loaded = await this.deps.store.load()
    const { state, recovered, note } = loaded
    let records = state.records
    if (recovered === 'backup' || recovered === 'rebuilt')
      this.deps.log.warn(note ?? `State file ${recovered}`)
    if (recovered === 'rebuilt') {
      records = await rebuildFromDisk(this.deps.modelsRoots)
      this.deps.log.warn(`Rebuilt ${records.length} paused downloads from partial files on disk`)
    }
    this.recoveredFrom = describeRecovery(loaded, this.deps.store.path, records.length)
    for (const r of records) {
      // A crash left these running: their `.part` files let them resume where they stopped.
      if (r.status === 'progress') r.status = 'queued'
      this.records.set(r.id, { ...r, speedBps: 0, etaSeconds: null })
    }
    const known = new Set(state.queue)
    this.queue = state.queue.filter(
      (id) => this.records.has(id) && ACTIVE_STATUSES.includes(this.records.get(id)!.status),
    )
    for (const r of this.records.values())
      if (ACTIVE_STATUSES.includes(r.status) && !known.has(r.id)) this.queue.push(r.id)
    const latest = [...this.records.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
    this.latestBatch = latest?.batchId ?? null
    this.persistSoon()
  }

  private newRecord(entry: EnqueueEntry, id: string, batchId: string, now: string): ModelRecord {
    return {
      id,
      group: entry.group,
      modelName: entry.modelName,
      s3Uri: entry.s3Uri,
      localPath: id,
      expectedSize: entry.expectedSize,
      ...(entry.sha256 ? { sha256: entry.sha256.toLowerCase() } : {}),
      status: 'queued',
      downloaded: 0,
      totalSize: entry.expectedSize,
      speedBps: 0,
      etaSeconds: null,
      attempts: 0,
      autoRetries: 0,
      batchId,
      createdAt: now,
      lastUpdated: now,
    }
  }

  private select(selector: ModelSelector, eligible: (r: ModelRecord) => boolean): string[] {
    const sel = parse(ModelSelectorSchema, selector, 'selector')
    const matched = matchSelector([...this.records.values()], sel)
    if (matched.length === 0 && !('all' in sel) && !('allFailed' in sel)) {
      throw new ServiceError('not_found', `No model matches ${JSON.stringify(sel)}`)
    }
    return matched.filter(eligible).map((r) => r.id)
  }

  /** Starts queued downloads while there are free slots and connections. */
  private pump(): void {
    if (this.closed || this.halted) return
    const { concurrency, maxConnections, tuning } = this.deps.settings
    const perJob = tuning.connectionsPerFile > 0 ? tuning.connectionsPerFile : 4
    const slots = Math.max(1, Math.min(concurrency, Math.floor(maxConnections / perJob)))
    for (const id of this.queue) {
      if (this.running.size >= slots) break
      const r = this.records.get(id)
      if (!r || r.status !== 'queued' || r.linkTo || this.running.has(id) || this.retryTimers.has(id))
        continue
      this.start(r)
    }
  }

  private workerHost(): WorkerHost {
    if (!this.host) {
      const host = new WorkerHost({
        entry: this.deps.workerEntry,
        s3: this.deps.settings.s3,
        tuning: this.deps.settings.tuning,
        ...(this.deps.launcher ? { launcher: this.deps.launcher } : {}),
        ...(this.deps.env ? { env: this.deps.env } : {}),
      })
      host.on('progress', (p) => this.onProgress(p))
      host.on('log', (level, message) => this.deps.log[level](`worker: ${message}`))
      host.on('exit', ({ code, signal, expected }) => {
        if (!expected)
          this.deps.log.error(`The transfer worker stopped unexpectedly (code ${code}, signal ${signal})`)
      })
      this.host = host
    }
    return this.host
  }

  private start(r: ModelRecord): void {
    this.running.add(r.id)
    this.update(r, {
      status: 'progress',
      attempts: r.attempts + 1,
      startedAt: r.startedAt ?? new Date().toISOString(),
      errorCode: undefined,
      errorMessage: undefined,
    })
    const job: TransferJob = {
      id: r.id,
      s3Uri: r.s3Uri,
      localPath: r.localPath,
      expectedSize: r.expectedSize,
      ...(r.sha256 ? { sha256: r.sha256 } : {}),
      ...(this.deps.settings.compressedSiblings ? { compressedSibling: true } : {}),
    }
    const host = this.workerHost()
    this.jobHosts.set(r.id, host)
    this.confined(job)
      .then((checked) => host.run(checked))
      .then(
        (result) => this.onDone(r.id, result),
        (err: unknown) => this.onStopped(r.id, err),
      )
      .finally(() => {
        this.running.delete(r.id)
        this.stopping.delete(r.id)
        this.jobHosts.delete(r.id)
        if (host !== this.host) this.retireWhenIdle(host)
        this.events.emit('settled')
        this.pump()
      })
  }

  /**
   * The job with the real roots the worker checks again before it writes. A record whose path is no
   * longer inside the roots (the setting changed, the state file was edited) does not start.
   */
  private async confined(job: TransferJob): Promise<TransferJob> {
    try {
      await this.gate.modelPath(job.localPath, 'This download')
    } catch (err) {
      if (err instanceof GateError) throw new TransferError('path_outside_roots', err.message)
      throw err
    }
    const { roots } = await this.gate.roots()
    // Stopped while the paths were checked: the worker never saw it.
    const wanted = this.stopping.get(job.id)
    if (wanted) throw new TransferStopped(wanted === 'cancelled' ? 'cancelled' : 'paused')
    return { ...job, roots: roots.map((root) => root.real) }
  }

  private onProgress(p: TransferProgress): void {
    const r = this.records.get(p.id)
    if (!r || r.status !== 'progress') return
    r.downloaded = p.bytesDone
    r.totalSize = p.totalBytes
    r.speedBps = p.speedBps
    r.etaSeconds = p.etaSeconds
    if (r.phase !== p.phase) r.phase = p.phase
    r.lastUpdated = new Date().toISOString()
    this.dirtyProgress.add(r.id)
    this.scheduleTick()
  }

  private async onDone(id: string, result: TransferResult): Promise<void> {
    const r = this.records.get(id)
    if (!r) return
    const wanted = this.stopping.get(id)
    if (wanted === 'cancelled' || r.status === 'cancelled') return
    this.update(r, {
      downloaded: r.totalSize,
      etag: result.etag,
      ...(result.lastModified ? { objectLastModified: result.lastModified } : {}),
      verifiedBy: result.verified.length > 0 ? result.verified.map(describeVerification) : [SIZE_ONLY],
    })
    this.finish(r, 'completed')
    if (result.verified.length > 0) this.deps.log.info(`Completed ${r.localPath} (${verificationText(r)})`)
    else
      this.deps.log.warn(
        `Completed ${r.localPath} checked by size only: the store gave no checksum and its ETag is not an MD5; ` +
          'add a sha256 to the config entry to verify the bytes',
      )
    for (const other of this.records.values()) {
      if (other.linkTo === r.localPath && other.status === 'queued') await this.settleLink(other)
    }
  }

  private onStopped(id: string, err: unknown): void {
    const r = this.records.get(id)
    if (!r) return
    const wanted = this.stopping.get(id)
    if (err instanceof TransferStopped || wanted) {
      if (wanted === 'queued')
        this.update(r, { status: r.status === 'paused' ? 'paused' : 'queued', speedBps: 0, etaSeconds: null })
      else if (wanted === 'paused' && r.status !== 'queued')
        this.update(r, { status: 'paused', speedBps: 0, etaSeconds: null })
      // 'cancelled' was recorded when it was asked for.
      return
    }
    const code = err instanceof TransferError ? err.code : 'internal'
    const message = err instanceof Error ? err.message : String(err)
    const retryable = err instanceof TransferError ? err.retryable : true
    if (retryable && r.autoRetries < this.deps.settings.maxAutoRetries) {
      const delay = AUTO_RETRY_DELAY_MS * 2 ** r.autoRetries
      this.deps.log.warn(
        `${r.localPath}: ${message}; automatic retry ${r.autoRetries + 1} in ${delay / 1000} s`,
      )
      this.update(r, {
        status: 'queued',
        autoRetries: r.autoRetries + 1,
        errorCode: code,
        errorMessage: message,
        speedBps: 0,
        etaSeconds: null,
      })
      this.retryTimers.set(
        id,
        setTimeout(() => {
          this.retryTimers.delete(id)
          this.pump()
        }, delay),
      )
      return
    }
    this.deps.log.error(`Failed ${r.localPath}: [${code}] ${message}`)
    this.update(r, { errorCode: code, errorMessage: message })
    this.finish(r, 'failed')
    for (const other of this.records.values()) {
      if (other.linkTo === r.localPath && other.status === 'queued') {
        this.update(other, {
          errorCode: 'link_target_failed',
          errorMessage: `Its target ${r.localPath} failed: ${message}`,
        })
        this.finish(other, 'failed')
      }
    }
  }

  /** Makes a waiting link once its target is complete (or fails it if the target cannot be linked). */
  private async settleLink(r: ModelRecord): Promise<void> {
    if (!r.linkTo || r.status !== 'queued') return
    const target = this.records.get(r.linkTo)
    const targetState = await localState(r.linkTo, r.expectedSize)
    if (targetState.kind !== 'installed') {
      // Not there yet: it is made when its target completes (or the target is not ours to fetch).
      if (!target || !ACTIVE_STATUSES.includes(target.status)) {
        this.update(r, {
          errorCode: 'link_target_missing',
          errorMessage: `Its link target ${r.linkTo} is not installed and not queued: download it first`,
        })
        this.finish(r, 'failed')
      }
      return
    }
    try {
      // Links are made only inside the roots, and point only inside them.
      await this.gate.modelPath(r.localPath, 'The link')
      await this.gate.modelPath(r.linkTo, 'Its target')
      const { roots } = await this.gate.roots()
      const outcome = await linkModel(
        r.localPath,
        r.linkTo,
        r.expectedSize,
        roots.map((root) => root.real),
      )
      this.deps.log.info(`Link ${r.localPath} → ${r.linkTo}: ${outcome}`)
      // A link is as good as the file it points at.
      this.update(r, {
        downloaded: r.expectedSize,
        totalSize: r.expectedSize,
        verifiedBy: target?.status === 'completed' && target.verifiedBy?.length ? target.verifiedBy : [SIZE_ONLY],
      })
      this.finish(r, 'completed')
    } catch (err) {
      this.update(r, { errorCode: 'link_failed', errorMessage: (err as Error).message })
      this.finish(r, 'failed')
    }
  }

  private finish(r: ModelRecord, status: 'completed' | 'failed' | 'cancelled'): void {
    this.queue = this.queue.filter((id) => id !== r.id)
    this.update(r, {
      status,
      phase: undefined,
      speedBps: 0,
      etaSeconds: null,
      finishedAt: new Date().toISOString(),
    })
  }

  /** Shuts down a worker that no longer takes jobs, once the jobs still on it have ended. */
  private retireWhenIdle(host: WorkerHost): void {
    for (const h of this.jobHosts.values()) if (h === host) return
    const exited: Promise<void> = host.shutdown().finally(() => this.retiring.delete(exited))
    this.retiring.add(exited)
  }

  private clearRetry(id: string): void {
    const t = this.retryTimers.get(id)
    if (t) clearTimeout(t)
    this.retryTimers.delete(id)
  }

  private update(r: ModelRecord, patch: Partial<ModelRecord>): void {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete (r as unknown as Record<string, unknown>)[k]
      else (r as unknown as Record<string, unknown>)[k] = v
    }
    r.lastUpdated = new Date().toISOString()
    this.changed([r])
  }

  private changed(records: ModelRecord[]): void {
    if (records.length === 0) return
    // Progress still waiting for its tick goes first: a window then never sees a model's bytes after
    // the change that ended its transfer, and a transfer shorter than a tick still reports progress.
    if (records.some((r) => this.dirtyProgress.has(r.id))) this.flushProgress()
    const change: Omit<ServiceChange, 'epoch' | 'revision'> = {
      records: records.map((r) => ({ ...r })),
      removed: [],
      ...(sameOrder(this.toldQueue, this.queue) ? {} : { queue: (this.toldQueue = [...this.queue]) }),
      batch: this.batch(),
      counts: this.counts(),
    }
    this.emit('changed', change)
    this.persistSoon()
  }

  private emit(type: 'changed', data: Omit<ServiceChange, 'epoch' | 'revision'>): void
  private emit(type: 'progress', data: Omit<ProgressTick, 'epoch' | 'revision'>): void
  private emit(type: 'changed' | 'progress', data: object): void {
    this.revision++
    this.events.emit('event', { type, data: { ...data, epoch: this.epoch, revision: this.revision } })
  }

  private scheduleTick(): void {
    if (this.tickTimer) return
    this.tickTimer = setTimeout(() => this.flushProgress(), TICK_MS)
  }

  /** One progress event for every model whose bytes moved since the last one. */
  private flushProgress(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer)
    this.tickTimer = null
    const models = [...this.dirtyProgress]
      .map((id) => this.records.get(id))
      .filter((r): r is ModelRecord => r !== undefined)
      .map(({ id, status, phase, downloaded, totalSize, speedBps, etaSeconds }) => ({
        id,
        status,
        ...(phase ? { phase } : {}),
        downloaded,
        totalSize,
        speedBps,
        etaSeconds,
      }))
    this.dirtyProgress.clear()
    this.emit('progress', { models, batch: this.batch() })
    this.deps.progressFile.update([...this.records.values()])
  }

  private persistSoon(): void {
    void this.persist()
  }

  private async persist(): Promise<void> {
    const state: PersistedState = {
      version: 1,
      queue: [...this.queue],
      records: [...this.records.values()].map((r) => ({ ...r })),
    }
    this.deps.progressFile.update(state.records)
    try {
      await this.deps.store.save(state)
    } catch (err) {
      this.deps.log.error(`Could not save the queue to ${this.deps.paths.stateFile}: ${String(err)}`)
    }
  }
}
