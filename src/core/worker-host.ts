import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type {
  S3Settings,
  TransferJob,
  TransferProgress,
  TransferResult,
  TransferTuning,
} from '../shared/transfer'
import {
  isWorkerToHost,
  type HostToWorker,
  type LogLevel,
  type WorkerEvent,
  type WorkerToHost,
} from '../shared/worker-protocol'
import { TransferError, TransferStopped } from './transfer/errors'

/** A started worker process, whichever API started it. */
export interface WorkerProcess {
  readonly pid: number | undefined
  send(message: HostToWorker): void
  onMessage(handler: (message: unknown) => void): void
  onExit(handler: (code: number | null, signal: string | null) => void): void
  kill(): void
}

/** Starts the worker entry: child_process.fork here, Electron's utilityProcess.fork in src/main. */
export type WorkerLauncher = (entry: string, env: Record<string, string>) => WorkerProcess

export const forkLauncher: WorkerLauncher = (entry, env) => wrapChild(forkWorker(entry, env))

/** The worker as child_process.fork starts it (the CLI, the tests). */
export function forkWorker(entry: string, env: Record<string, string>): ChildProcess {
  return fork(entry, [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
}

export function wrapChild(child: ChildProcess): WorkerProcess {
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m)
    },
    onMessage: (h) => child.on('message', h),
    onExit: (h) => child.on('exit', h),
    kill: () => child.kill('SIGKILL'),
  }
}

const PASSED_ENV =
  /^(AWS_[A-Z0-9_]+|MODELDL_HTTP|HF_TOKEN|HF_ENDPOINT|CIVITAI_API_TOKEN|CIVITAI_BASE_URL|HOME|USERPROFILE|PATH|TMPDIR|TEMP|TMP|SystemRoot|LANG|NODE_EXTRA_CA_CERTS|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/

/**
 * Only what a transfer needs: the AWS chain's variables, the HTTP client switch, the URL sources'
 * endpoints and tokens, home (for ~/.aws), temp and proxy settings.
 */
export function workerEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && PASSED_ENV.test(k)) out[k] = v
  // The SDK warns on every start under Node 20; the README states the supported Node versions once.
  out['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true'
  return out
}

export interface WorkerHostOptions {
  entry: string
  s3: S3Settings
  tuning: TransferTuning
  launcher?: WorkerLauncher
  env?: Record<string, string | undefined>
  /** How long a shutdown may take before the process is killed. */
  graceMs?: number
}

interface Pending {
  resolve(result: TransferResult): void
  reject(err: Error): void
}

type HostEvents = {
  progress: [TransferProgress]
  log: [LogLevel, string]
  exit: [{ code: number | null; signal: string | null; expected: boolean }]
}

/**
 * Owns one transfer worker process: sends its configuration first, runs jobs on it, and notices a
 * crash (every job on it then fails as `worker_crashed`, retryable). `run()` resolves with the result,
 * or rejects with TransferError or TransferStopped.
 */
export class WorkerHost extends EventEmitter<HostEvents> {
  private proc: WorkerProcess | null = null
  private ready: Promise<void> | null = null
  private readonly pending = new Map<string, Pending>()
  private stopping = false
  private exited: Promise<void> = Promise.resolve()

  constructor(private readonly options: WorkerHostOptions) {
    super()
  }

  get running(): boolean {
    return this.proc !== null
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  start(): Promise<void> {
    if (this.ready) return this.ready
    const launcher = this.options.launcher ?? forkLauncher
    const proc = launcher(this.options.entry, workerEnv(this.options.env))
    this.proc = proc
    this.stopping = false
    let markExited!: () => void
    this.exited = new Promise((r) => (markExited = r))
    this.ready = new Promise<void>((resolve, reject) => {
      const receive = (m: WorkerToHost): void => {
        if (m.type === 'batch') for (const e of m.messages) receive(e)
        else if (m.type === 'ready') resolve()
        else this.dispatch(m)
      }
      proc.onMessage((m) => {
        if (isWorkerToHost(m)) receive(m)
      })
      proc.onExit((code, signal) => {
        const expected = this.stopping
        this.proc = null
        this.ready = null
        reject(new Error(`The transfer worker exited before it was ready (code ${code}, signal ${signal})`))
        this.failAll(code, signal, expected)
        this.emit('exit', { code, signal, expected })
        markExited()
      })
    })
    proc.send({ type: 'configure', s3: this.options.s3, tuning: this.options.tuning })
    return this.ready
  }

  /** Runs a job on the worker (starting it if needed). A second run of the same id joins the first. */
  async run(job: TransferJob): Promise<TransferResult> {
    await this.start()
    return new Promise<TransferResult>((resolve, reject) => {
      const existing = this.pending.get(job.id)
      if (existing) {
        this.pending.set(job.id, {
          resolve: (r) => (existing.resolve(r), resolve(r)),
          reject: (e) => (existing.reject(e), reject(e)),
        })
        return
      }
      this.pending.set(job.id, { resolve, reject })
      this.proc?.send({ type: 'start', job })
    })
  }

  cancel(id: string): void {
    this.proc?.send({ type: 'cancel', id })
  }

  pause(id: string): void {
    this.proc?.send({ type: 'pause', id })
  }

  setBandwidth(bytesPerSecond: number): void {
    this.options.tuning = { ...this.options.tuning, bandwidthLimitBps: bytesPerSecond }
    this.proc?.send({ type: 'set-bandwidth', bytesPerSecond })
  }

  /** Asks the worker to pause its jobs and exit; kills it if it has not exited after the grace period. */
  async shutdown(): Promise<void> {
    const proc = this.proc
    if (!proc) return
    this.stopping = true
    proc.send({ type: 'shutdown' })
    const timer = setTimeout(() => proc.kill(), this.options.graceMs ?? 5_000)
    await this.exited
    clearTimeout(timer)
  }

  /** Kills the worker at once (tests of crash recovery; last resort). */
  kill(): void {
    this.proc?.kill()
  }

  private dispatch(m: Exclude<WorkerEvent, { type: 'ready' }>): void {
    switch (m.type) {
      case 'progress':
        this.emit('progress', m.progress)
        return
      case 'log':
        this.emit('log', m.level, m.message)
        return
      case 'done':
        this.settle(m.id)?.resolve(m.result)
        return
      case 'failed':
        this.settle(m.id)?.reject(new TransferError(m.code, m.message, m.retryable))
        return
      case 'stopped':
        this.settle(m.id)?.reject(new TransferStopped(m.reason))
        return
    }
  }

  private settle(id: string): Pending | undefined {
    const p = this.pending.get(id)
    this.pending.delete(id)
    return p
  }

  private failAll(code: number | null, signal: string | null, expected: boolean): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id)
      if (expected) p.reject(new TransferStopped('paused'))
      else {
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`
        p.reject(
          new TransferError(
            'worker_crashed',
            `The transfer worker ${how}; the download resumes when retried`,
            true,
          ),
        )
      }
    }
  }
}
