// An in-memory DownloadServiceApi for the transport tests: the real service lives elsewhere, and what is
// tested here is only that every kind of call, answer, error and event crosses the socket intact.
import type {
  DiskCheckResult,
  DownloadServiceApi,
  EnqueueRequest,
  EnqueueResult,
  ModelRecord,
  ModelSelector,
  MovePosition,
  BatchProgress,
  ProgressTick,
  ServiceChange,
  ServiceEvent,
  ServiceSnapshot,
  ServiceStatus,
  StatusCounts,
} from '../../../../src/shared/service-contract'
import { ServiceError } from '../../../../src/core/service/owner/service-error'

export class FakeService implements DownloadServiceApi {
  readonly records = new Map<string, ModelRecord>()
  readonly calls: Array<{ method: string; args: unknown[] }> = []
  private readonly listeners = new Set<(event: ServiceEvent) => void>()

  readonly events = {
    on: (listener: (event: ServiceEvent) => void): (() => void) => {
      this.listeners.add(listener)
      return () => this.listeners.delete(listener)
    },
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  /** One run of this fake, as a DownloadService's epoch is one run of one owner. */
  readonly epoch = `fake-${Math.random().toString(36).slice(2)}`
  revision = 0

  emit(event: ServiceEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** The next change event of this run: its revision is one more than the last. */
  changed(change: Partial<Omit<ServiceChange, 'epoch' | 'revision'>> = {}): ServiceEvent {
    const event: ServiceEvent = {
      type: 'changed',
      data: {
        records: [],
        removed: [],
        batch: emptyBatch(),
        counts: zeroCounts(),
        ...change,
        epoch: this.epoch,
        revision: ++this.revision,
      },
    }
    this.emit(event)
    return event
  }

  /** The next progress tick of this run. */
  progress(models: ProgressTick['models'], batch: BatchProgress = emptyBatch()): ServiceEvent {
    const event: ServiceEvent = {
      type: 'progress',
      data: { models, batch, epoch: this.epoch, revision: ++this.revision },
    }
    this.emit(event)
    return event
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    this.calls.push({ method: 'enqueue', args: [request] })
    const queued: string[] = []
    const alreadyQueued: string[] = []
    for (const e of request.entries) {
      if (this.records.has(e.localPath)) {
        alreadyQueued.push(e.localPath)
        continue
      }
      const now = new Date(0).toISOString()
      this.records.set(e.localPath, {
        id: e.localPath,
        group: e.group,
        modelName: e.modelName,
        s3Uri: e.s3Uri,
        localPath: e.localPath,
        expectedSize: e.expectedSize,
        status: 'queued',
        downloaded: 0,
        totalSize: e.expectedSize,
        speedBps: 0,
        etaSeconds: null,
        attempts: 0,
        autoRetries: 0,
        batchId: 'b1',
        createdAt: now,
        lastUpdated: now,
      })
      queued.push(e.localPath)
    }
    return { batchId: 'b1', queued, alreadyQueued, alreadyComplete: [], linked: [] }
  }

  async cancel(selector: ModelSelector): Promise<string[]> {
    return this.setStatus('cancel', selector, 'cancelled')
  }
  async pause(selector: ModelSelector): Promise<string[]> {
    return this.setStatus('pause', selector, 'paused')
  }
  async resume(selector: ModelSelector): Promise<string[]> {
    return this.setStatus('resume', selector, 'queued')
  }
  async retry(selector: ModelSelector): Promise<string[]> {
    return this.setStatus('retry', selector, 'queued')
  }

  async move(id: string, position: MovePosition): Promise<void> {
    this.calls.push({ method: 'move', args: [id, position] })
    if (!this.records.has(id)) throw new ServiceError('not_found', `No model ${id} in the queue`)
  }

  async list(): Promise<ModelRecord[]> {
    this.calls.push({ method: 'list', args: [] })
    return [...this.records.values()]
  }

  async checkDisk(): Promise<DiskCheckResult> {
    this.calls.push({ method: 'checkDisk', args: [] })
    return { checked: this.records.size, forgotten: [], corrected: [] }
  }

  async snapshot(): Promise<ServiceSnapshot> {
    this.calls.push({ method: 'snapshot', args: [] })
    const records = [...this.records.values()]
    return {
      epoch: this.epoch,
      revision: this.revision,
      records,
      queue: records.filter((r) => r.status === 'queued').map((r) => r.id),
      batch: emptyBatch(),
      counts: zeroCounts(),
    }
  }

  async status(): Promise<ServiceStatus> {
    this.calls.push({ method: 'status', args: [] })
    // Not a ServiceError: an accident inside the service, which must arrive as `internal`.
    throw new TypeError('status is broken in this fake')
  }

  async stopWorker(options: { force: boolean }): Promise<void> {
    this.calls.push({ method: 'stopWorker', args: [options] })
  }

  async startWorker(): Promise<void> {
    this.calls.push({ method: 'startWorker', args: [] })
  }

  private setStatus(method: string, selector: ModelSelector, status: ModelRecord['status']): string[] {
    this.calls.push({ method, args: [selector] })
    if (!('ids' in selector)) throw new ServiceError('bad_request', 'The fake selects by ids only')
    const missing = selector.ids.filter((id) => !this.records.has(id))
    if (missing.length) throw new ServiceError('not_found', `No model ${missing.join(', ')} in the queue`)
    for (const id of selector.ids) {
      const record = this.records.get(id)
      if (record) record.status = status
    }
    return selector.ids
  }
}

export const sampleEntry = (name: string) => ({
  group: 'loras',
  modelName: name,
  s3Uri: `s3://bucket/loras/${name}`,
  localPath: `/models/loras/${name}`,
  expectedSize: 1234,
})

export function emptyBatch(): BatchProgress {
  return {
    batchId: null,
    models: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    bytesDone: 0,
    bytesTotal: 0,
    speedBps: 0,
    etaSeconds: null,
  }
}

export function zeroCounts(): StatusCounts {
  return { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 }
}
