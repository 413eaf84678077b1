// The worker side of the service: which worker process runs each job, and the life of those workers.
// After a settings change that the worker must start with (S3, tuning), new jobs go to a fresh worker
// while running ones finish on the old one, which then exits.
import type { TransferJob, TransferProgress, TransferResult } from '../../shared/transfer'
import { WorkerHost, type WorkerLauncher } from '../worker-host'
import type { Logger } from './persist/log'
import type { ServiceSettings } from './run-settings'

export interface JobRunnerOptions {
  entry: string
  launcher?: WorkerLauncher
  env?: Record<string, string | undefined>
  settings: () => ServiceSettings
  onProgress: (progress: TransferProgress) => void
  log: Logger
}

/** What a worker must be started with: a change here needs a new worker (the bandwidth limit does not). */
function workerConfig(s: ServiceSettings): string {
  return JSON.stringify([s.s3, { ...workerTuning(s), bandwidthLimitBps: 0 }])
}

/** The tuning a worker gets: automatic connections stay within the service's connection budget. */
function workerTuning(s: ServiceSettings): ServiceSettings['tuning'] {
  return { ...s.tuning, connectionBudget: s.maxConnections }
}

export class JobRunner {
  private host: WorkerHost | null = null
  /** The worker each running job is on. */
  private readonly jobHosts = new Map<string, WorkerHost>()
  private readonly retiring = new Set<Promise<void>>()

  constructor(private readonly options: JobRunnerOptions) {}

  get worker(): { running: boolean; pid: number | null } {
    return { running: this.host?.running ?? false, pid: this.host?.pid ?? null }
  }

  /** Runs a job on the current worker; settles with the worker's result. */
  async run(job: TransferJob): Promise<TransferResult> {
    const host = this.current()
    this.jobHosts.set(job.id, host)
    try {
      return await host.run(job)
    } finally {
      this.jobHosts.delete(job.id)
      if (host !== this.host) this.retireWhenIdle(host)
    }
  }

  cancel(id: string): void {
    this.jobHosts.get(id)?.cancel(id)
  }

  /** Stops a job and keeps its `.part` (pause, requeue). */
  pause(id: string): void {
    this.jobHosts.get(id)?.pause(id)
  }

  settingsChanged(previous: ServiceSettings, next: ServiceSettings): void {
    const limit = next.tuning.bandwidthLimitBps
    if (previous.tuning.bandwidthLimitBps !== limit) {
      for (const host of new Set([this.host, ...this.jobHosts.values()])) host?.setBandwidth(limit)
    }
    if (this.host && workerConfig(previous) !== workerConfig(next)) {
      const old = this.host
      this.host = null
      this.retireWhenIdle(old)
    }
  }

  /** Stops every worker (jobs must have ended first). */
  async shutdown(): Promise<void> {
    await this.host?.shutdown()
    this.host = null
    await Promise.all(this.retiring)
  }

  private current(): WorkerHost {
    if (this.host) return this.host
    const { entry, launcher, env, settings, onProgress, log } = this.options
    const s = settings()
    const host = new WorkerHost({
      entry,
      s3: s.s3,
      tuning: workerTuning(s),
      ...(launcher ? { launcher } : {}),
      ...(env ? { env } : {}),
    })
    host.on('progress', onProgress)
    host.on('log', (level, message) => log[level](`worker: ${message}`))
    host.on('exit', ({ code, signal, expected }) => {
      if (!expected) log.error(`The transfer worker stopped unexpectedly (code ${code}, signal ${signal})`)
    })
    this.host = host
    return host
  }

  /** Shuts down a worker that no longer takes jobs, once the jobs still on it have ended. */
  private retireWhenIdle(host: WorkerHost): void {
    for (const h of this.jobHosts.values()) if (h === host) return
    const exited: Promise<void> = host.shutdown().finally(() => this.retiring.delete(exited))
    this.retiring.add(exited)
  }
}
