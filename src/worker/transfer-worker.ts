import { BandwidthLimiter } from '../core/transfer/bandwidth-limiter'
import { TransferError, TransferStopped } from '../core/transfer/errors'
import { TransferPool } from '../core/transfer/transfer-pool'
import type { TransferJob } from '../shared/transfer'
import type { HostToWorker } from '../shared/worker-protocol'
import type { WorkerPort } from './port'

/**
 * Runs any number of transfers at once for one host, on one TransferPool (one S3 client, one
 * bandwidth limiter, jobs keyed by id), and reports each job's end over the port.
 */
export class TransferWorker {
  private pool: TransferPool | null = null
  private readonly limiter = new BandwidthLimiter()
  private shuttingDown = false

  constructor(private readonly port: WorkerPort) {}

  handle(message: HostToWorker): void {
    switch (message.type) {
      case 'configure':
        this.pool?.close()
        this.pool = new TransferPool(
          message.s3,
          message.tuning,
          { ...process.env, ...message.env },
          {
            onProgress: (progress) => this.port.send({ type: 'progress', progress }),
            log: (level, text) => this.port.send({ type: 'log', level, message: text }),
          },
          this.limiter,
        )
        return
      case 'start':
        this.start(message.job)
        return
      case 'cancel':
      case 'pause':
        this.pool?.stop(message.id, message.type === 'cancel' ? 'cancelled' : 'paused')
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
    await this.pool?.pauseAll()
    process.exit(0)
  }

  private start(job: TransferJob): void {
    const pool = this.pool
    if (!pool) {
      this.port.send({
        type: 'failed',
        id: job.id,
        code: 'internal',
        message: 'Worker not configured',
        retryable: true,
      })
      return
    }
    if (pool.has(job.id) || this.shuttingDown) return
    pool.run(job).then(
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
  }
}
