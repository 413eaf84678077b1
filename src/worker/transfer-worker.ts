import { BandwidthLimiter } from '../core/transfer/bandwidth-limiter'
import { connectionPolicy, type ConnectionPolicy } from '../core/transfer/connection-policy'
import { TransferError, TransferStopped } from '../core/transfer/errors'
import { runModelTransfer } from '../core/transfer/model-transfer'
import { HttpSources } from '../core/transfer/http-source/http-sources'
import { ObjectStore } from '../core/transfer/object-store'
import type { StopReason, TransferJob, TransferTuning } from '../shared/transfer'
import type { HostToWorker } from '../shared/worker-protocol'
import type { WorkerPort } from './port'

/**
 * Runs any number of transfers at once for one host. Jobs are keyed by id in a Map, so a cancel or
 * pause reaches the right AbortController; one ObjectStore (its connections, and the S3 client once
 * it is needed), one pool of https connections, one bandwidth limiter and one connection policy serve
 * them all.
 */
export class TransferWorker {
  private store: ObjectStore | null = null
  private http: HttpSources | null = null
  private tuning: TransferTuning | null = null
  /** Connections across this worker's transfers (one host): measured and budgeted together. */
  private policy: ConnectionPolicy | null = null
  private readonly limiter = new BandwidthLimiter()
  private readonly jobs = new Map<string, { controller: AbortController; done: Promise<void> }>()
  private shuttingDown = false

  constructor(private readonly port: WorkerPort) {}

  handle(message: HostToWorker): void {
    switch (message.type) {
      case 'configure':
        this.store?.destroy()
        this.http?.destroy()
        this.store = new ObjectStore(message.s3, message.tuning, { ...process.env, ...message.env })
        this.http = new HttpSources({ env: { ...process.env, ...message.env }, tuning: message.tuning })
        this.tuning = message.tuning
        this.policy = connectionPolicy(message.tuning)
        this.limiter.setRate(message.tuning.bandwidthLimitBps)
        return
      case 'start':
        this.start(message.job)
        return
      case 'cancel':
      case 'pause':
        this.stop(message.id, message.type === 'cancel' ? 'cancelled' : 'paused')
        return
      case 'set-bandwidth':
        this.limiter.setRate(message.bytesPerSecond)
        return
      case 'shutdown':
        void this.shutdown()
        return
    }
  }

  /** Pauses every running job (their `.part` files stay for a resume) and exits once they are stopped. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return
    this.shuttingDown = true
    for (const id of this.jobs.keys()) this.stop(id, 'paused')
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done))
    process.exit(0)
  }

  private start(job: TransferJob): void {
    if (!this.store || !this.tuning || !this.policy) {
      this.port.send({
        type: 'failed',
        id: job.id,
        code: 'internal',
        message: 'Worker not configured',
        retryable: true,
      })
      return
    }
    if (this.jobs.has(job.id) || this.shuttingDown) return
    const controller = new AbortController()
    const done = runModelTransfer(job, {
      store: this.store,
      ...(this.http ? { http: this.http } : {}),
      tuning: this.tuning,
      policy: this.policy,
      limiter: this.limiter,
      signal: controller.signal,
      onProgress: (progress) => this.port.send({ type: 'progress', progress }),
      log: (level, message) => this.port.send({ type: 'log', level, message: `[${job.id}] ${message}` }),
    }).then(
      (result) => this.port.send({ type: 'done', id: job.id, result }),
      (err: unknown) => {
        if (err instanceof TransferStopped) {
          this.port.send({ type: 'stopped', id: job.id, reason: err.reason })
        } else if (err instanceof TransferError) {
          this.port.send({
            type: 'failed',
            id: job.id,
            code: err.code,
            message: err.message,
            retryable: err.retryable,
          })
        } else {
          const message = err instanceof Error ? err.message : String(err)
          this.port.send({ type: 'failed', id: job.id, code: 'internal', message, retryable: true })
        }
      },
    )
    this.jobs.set(job.id, {
      controller,
      done: done.finally(() => this.jobs.delete(job.id)),
    })
  }

  private stop(id: string, reason: StopReason): void {
    this.jobs.get(id)?.controller.abort(reason)
  }
}
