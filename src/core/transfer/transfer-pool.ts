import type { S3Client } from '@aws-sdk/client-s3'
import type {
  S3Settings,
  StopReason,
  TransferJob,
  TransferProgress,
  TransferResult,
  TransferTuning,
} from '../../shared/transfer'
import { BandwidthLimiter } from './bandwidth-limiter'
import { runModelTransfer } from './model-transfer'
import { createS3Client } from './s3-client'
import { resolveTuning } from './tuning'

type Env = Record<string, string | undefined>

export interface TransferPoolEvents {
  onProgress?(progress: TransferProgress): void
  log?(level: 'info' | 'warn', message: string): void
}

/**
 * Any number of transfers at once in this process, sharing one S3 client (and its keep-alive
 * sockets) and one bandwidth limit. Jobs are keyed by id, so a pause or cancel reaches the right
 * AbortController. The worker process runs one; so does `modeldl get`, which needs no second process.
 */
export class TransferPool {
  private readonly client: S3Client
  private readonly tuning: TransferTuning
  private readonly jobs = new Map<string, { controller: AbortController; done: Promise<unknown> }>()

  constructor(
    s3: S3Settings,
    tuning: TransferTuning,
    env: Env = process.env,
    private readonly events: TransferPoolEvents = {},
    /** Shared with an earlier pool when the worker is configured again. */
    readonly limiter = new BandwidthLimiter(),
  ) {
    this.client = createS3Client(s3, tuning, env)
    this.tuning = resolveTuning(tuning, s3, env)
    this.limiter.setRate(tuning.bandwidthLimitBps)
  }

  get size(): number {
    return this.jobs.size
  }

  has(id: string): boolean {
    return this.jobs.has(id)
  }

  /** Resolves with the result; rejects with TransferError (failed) or TransferStopped (paused, cancelled). */
  run(job: TransferJob): Promise<TransferResult> {
    const controller = new AbortController()
    const done = runModelTransfer(job, {
      client: this.client,
      tuning: this.tuning,
      limiter: this.limiter,
      signal: controller.signal,
      onProgress: (p) => this.events.onProgress?.(p),
      log: (level, message) => this.events.log?.(level, `[${job.id}] ${message}`),
    })
    const settled = done.then(
      () => undefined,
      () => undefined,
    )
    this.jobs.set(job.id, { controller, done: settled })
    void settled.then(() => this.jobs.delete(job.id))
    return done
  }

  stop(id: string, reason: StopReason): void {
    this.jobs.get(id)?.controller.abort(reason)
  }

  /** Pauses every running job (their `.part` files stay) and waits until each has stopped. */
  async pauseAll(): Promise<void> {
    const running = [...this.jobs.values()]
    for (const j of running) j.controller.abort('paused')
    await Promise.all(running.map((j) => j.done))
  }

  /** Releases the client's sockets; call once no job runs. */
  close(): void {
    this.client.destroy()
  }
}
