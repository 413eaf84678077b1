import type { TransferTuning } from '../../shared/transfer'
import type { TransferError } from './errors'
import { ParallelismController, type ControllerLimits } from './parallelism-controller'

/**
 * What a file's fetch asks before it opens, keeps or sizes a connection. One policy serves every
 * transfer of a worker (one host), so its budget and its measurements span files.
 */
export interface ConnectionPolicy {
  /** May a file that runs `fileConnections` open one more? A file's first is always allowed. */
  mayAdd(fileConnections: number): boolean
  /** May a connection of a file running `fileConnections` (itself included) take another part? */
  mayKeep(fileConnections: number): boolean
  /** Bytes for the next part of a file with `remaining` bytes left (Infinity: the whole gap). */
  partSize(remaining: number, fileConnections: number): number
  /** A range is split for a new connection only when at least this much would go to it. */
  readonly minPartSize: number
  opened(): void
  closed(): void
  requestStarted(): void
  received(bytes: number): void
  failed(err: TransferError): void
  /** A connection waits before a retry (true) or is back (false): not receiving meanwhile. */
  retryWait(waiting: boolean): void
  /** `listener` runs whenever more connections become allowed; returns its removal. */
  onRaise(listener: () => void): () => void
}

/** Explicit settings: this many connections per file, parts of this size (one connection: whole gaps). */
export class FixedPolicy implements ConnectionPolicy {
  readonly minPartSize: number

  constructor(
    private readonly connections: number,
    private readonly size: number,
  ) {
    this.minPartSize = size
  }

  mayAdd(fileConnections: number): boolean {
    return fileConnections < this.connections
  }
  mayKeep(): boolean {
    return true
  }
  partSize(): number {
    // Against a server that pays per request (s3rver here) one long stream wins.
    return this.connections <= 1 ? Infinity : this.size
  }
  opened(): void {}
  closed(): void {}
  requestStarted(): void {}
  received(): void {}
  failed(): void {}
  retryWait(): void {}
  onRaise(): () => void {
    return () => undefined
  }
}

/** Samples are taken this often while any connection runs. */
const TICK_MS = 50
/**
 * Connections for one host at most, whatever the samples say (and within the service's connection
 * budget): the far-tier sweep in docs/benchmarks.md still gained from 16 to 32; each connection's
 * buffers count against the worker's memory.
 */
export const HOST_CONNECTIONS = 32
/** The first parts, before anything was measured: small, so that a slow link ramps up quickly. */
export const FIRST_PART_BYTES = 8 * 1024 * 1024

/**
 * Automatic settings: the ParallelismController, fed every TICK_MS with the bytes all transfers of
 * this worker received and how busy our thread was. Connections are counted across files, so two
 * large files share what one would get; each file always has its first connection.
 */
export class AdaptivePolicy implements ConnectionPolicy {
  readonly minPartSize: number
  private readonly controller: ParallelismController
  private readonly listeners = new Set<() => void>()
  private active = 0
  /** Connections not waiting for a retry: the ones a sample measures. */
  private receiving = 0
  private fewestReceiving = 0
  private bytes = 0
  private timer: ReturnType<typeof setInterval> | null = null
  private lastTick = 0
  private elu = performance.eventLoopUtilization()

  constructor(private readonly limits: ControllerLimits) {
    this.minPartSize = limits.minPartSize
    this.controller = new ParallelismController(limits)
  }

  /** Connections the host may run now (for logs and tests). */
  get target(): number {
    return this.controller.connections
  }

  /** The most it will ever allow: the host cap within the connection budget. */
  get maxConnections(): number {
    return this.limits.maxConnections
  }

  mayAdd(fileConnections: number): boolean {
    return fileConnections === 0 || this.active < this.controller.connections
  }
  mayKeep(fileConnections: number): boolean {
    return fileConnections <= 1 || this.active <= this.controller.connections
  }
  partSize(remaining: number, fileConnections: number): number {
    return this.controller.partSize(remaining, fileConnections)
  }

  opened(): void {
    this.active++
    this.receiving++
    if (this.timer === null) {
      this.lastTick = performance.now()
      this.elu = performance.eventLoopUtilization()
      this.fewestReceiving = this.receiving
      this.bytes = 0
      this.timer = setInterval(() => this.tick(), TICK_MS)
      this.timer.unref?.()
    }
  }
  closed(): void {
    this.active--
    this.receiving--
    this.fewestReceiving = Math.min(this.fewestReceiving, this.receiving)
    if (this.active === 0 && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }
  requestStarted(): void {
    this.controller.requestStarted()
  }
  received(bytes: number): void {
    this.bytes += bytes
  }
  failed(err: TransferError): void {
    if (isThrottling(err)) this.controller.throttled()
    else this.controller.failed()
  }
  retryWait(waiting: boolean): void {
    this.receiving += waiting ? -1 : 1
    this.fewestReceiving = Math.min(this.fewestReceiving, this.receiving)
  }
  onRaise(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private tick(): void {
    const now = performance.now()
    const elu = performance.eventLoopUtilization(this.elu)
    this.elu = performance.eventLoopUtilization()
    const before = this.controller.connections
    this.controller.observe({
      ms: now - this.lastTick,
      bytes: this.bytes,
      connections: this.fewestReceiving,
      busy: elu.utilization,
    })
    this.lastTick = now
    this.bytes = 0
    this.fewestReceiving = this.receiving
    if (this.controller.connections > before) for (const l of [...this.listeners]) l()
  }
}

/** The policy for these settings: explicit connections are kept as given; 0 is adaptive. */
export function connectionPolicy(
  tuning: Pick<TransferTuning, 'connectionsPerFile' | 'partSize' | 'connectionBudget'>,
): ConnectionPolicy {
  if (tuning.connectionsPerFile > 0) return new FixedPolicy(tuning.connectionsPerFile, tuning.partSize)
  return new AdaptivePolicy({
    maxConnections: Math.max(1, Math.min(HOST_CONNECTIONS, tuning.connectionBudget ?? HOST_CONNECTIONS)),
    minPartSize: Math.min(FIRST_PART_BYTES, tuning.partSize),
    maxPartSize: tuning.partSize,
  })
}

/** 503 SlowDown and its kin: the server asks for fewer requests, not just another try. */
function isThrottling(err: TransferError): boolean {
  const cause = err.cause as
    { $metadata?: { httpStatusCode?: number }; Code?: string; name?: string } | undefined
  const code = cause?.Code ?? cause?.name ?? ''
  return cause?.$metadata?.httpStatusCode === 503 || /^(SlowDown|Throttling|ThrottlingException)$/.test(code)
}
