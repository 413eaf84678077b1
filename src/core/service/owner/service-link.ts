// How a process reaches the DownloadService of a state folder: the desktop app, `modeldl serve` and
// every CLI command alike. Exactly one process owns the folder (owner-lock.ts); a link is that owner
// (the service runs here, becomeOwner) or its client over the local socket. When the owner goes away
// its socket closes (the kernel closes it even after a SIGKILL), and the link tries again at once and
// then with the one backoff of service-link-policy.ts: it becomes the owner itself if it may, or
// connects to whoever did. Callers keep one `api` and one set of subscribers across these switches.
import type { ServiceSettings } from '../download-service'
import type { WorkerLauncher } from '../../worker-host'
import {
  SERVICE_METHODS,
  type DownloadServiceApi,
  type OwnerKind,
  type ServiceEvent,
  type StateRecovery,
} from '../../../shared/service-contract'
import { becomeOwner, type OwnerContext, type OwnerRuntime } from './owner-runtime'
import { ServiceError } from './service-error'
import { LINK_RETRY, retryDelayMs } from './service-link-policy'
import { connectSocket, type SocketTransport } from './socket-client'

export type LinkRole = 'owner' | 'client' | 'none'

/** What this process becomes when it owns the folder. */
export interface LinkOwnership {
  kind: OwnerKind
  workerEntry: string
  launcher?: WorkerLauncher
  /** The owned service starts with its worker stopped (a command that only reads or repairs). */
  halted?: boolean
}

export interface LinkLog {
  info(message: string): void
  warn(message: string): void
  error(message: string, ...data: unknown[]): void
}

export interface ServiceLinkOptions {
  /** The state folder and what an owner needs; read again each time this process becomes the owner. */
  context: () => OwnerContext
  /** Set when this process may own the folder; without it the link is only ever a client. */
  own?: LinkOwnership
  /** How long open() keeps trying to reach an owner or become one (default 0: one try). */
  openTimeoutMs?: number
  /** When open() reached nobody in time: resolve with role 'none' and keep trying (else it rejects). */
  keepTrying?: boolean
  log?: LinkLog
}

type Listener = (event: ServiceEvent) => void

type Target =
  | { role: 'owner'; runtime: OwnerRuntime; detach: () => void }
  | { role: 'client'; transport: SocketTransport; ownerKind: OwnerKind | null; detach: (() => void) | null }

export class ServiceLink {
  /** The service of whichever process owns the folder at the moment of each call. */
  readonly api: DownloadServiceApi
  /**
   * How the state file was recovered when the owner this process started opened it (this link
   * becoming the owner, or a background owner it spawned); undefined when it was good.
   */
  recovery: StateRecovery | undefined
  private target: Target | null = null
  private readonly listeners = new Set<Listener>()
  private readonly switchListeners = new Set<(role: LinkRole) => void>()
  /** Tries in a row that reached nobody: the backoff's step. */
  private failures = 0
  private retryTimer: NodeJS.Timeout | null = null
  /** Serialises every change of target: a retry and close() never interleave. */
  private switching: Promise<void> = Promise.resolve()
  private closed = false

  private constructor(private readonly options: ServiceLinkOptions) {
    this.api = Object.fromEntries(
      SERVICE_METHODS.map((method) => [
        method,
        (...params: unknown[]) => {
          const api = this.currentApi()
          if (!api) return Promise.reject(this.unavailable())
          return (api[method] as (...p: unknown[]) => Promise<unknown>)(...params)
        },
      ]),
    ) as unknown as DownloadServiceApi
  }

  /** Reaches the owner of the folder, or becomes it (when `own` is set), trying for openTimeoutMs. */
  static async open(options: ServiceLinkOptions): Promise<ServiceLink> {
    const link = new ServiceLink(options)
    const deadline = Date.now() + (options.openTimeoutMs ?? 0)
    try {
      for (;;) {
        await link.serialise(() => link.attach())
        if (link.target || Date.now() >= deadline) break
        // Someone holds the lock but does not serve yet: starting up, or killed and not yet stale.
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(++link.failures)))
      }
    } catch (err) {
      await link.close()
      throw err
    }
    if (!link.target) {
      if (!options.keepTrying) {
        await link.close()
        throw new ServiceError(
          'unavailable',
          `Another process owns ${options.context().paths.dir} but does not answer on its socket`,
        )
      }
      options.log?.warn('No service reachable yet: another process holds the state folder; retrying')
      link.scheduleRetry()
    }
    link.failures = 0
    return link
  }

  get role(): LinkRole {
    return this.target?.role ?? 'none'
  }

  /** Who owns the queue this link reaches: this process, or the one it is a client of. */
  get ownerKind(): OwnerKind {
    const t = this.target
    if (t?.role === 'client' && t.ownerKind) return t.ownerKind
    return this.options.own?.kind ?? 'daemon'
  }

  /** This process's own service, while it is the owner. */
  get owner(): OwnerRuntime | null {
    return this.target?.role === 'owner' ? this.target.runtime : null
  }

  /**
   * The owner's events, whichever process it is, until the returned function is called. Nothing is
   * made up at a switch: the next owner's events carry its own epoch, and a RevisionFollower that sees
   * it asks for a snapshot (onSwitch tells the moment, for a follower that would rather not wait).
   */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener)
    const t = this.target
    if (t?.role === 'client') await this.subscribeTo(t)
    return () => void this.listeners.delete(listener)
  }

  /** Told each time the link reaches another owner (took over, or connected to a new one). */
  onSwitch(listener: (role: LinkRole) => void): () => void {
    this.switchListeners.add(listener)
    return () => void this.switchListeners.delete(listener)
  }

  /**
   * New settings for the service. An owner applies them at once; a client cannot change another
   * process's settings: they apply when this process becomes the owner (context() is read again then).
   */
  applySettings(settings: ServiceSettings): void {
    const t = this.target
    if (t?.role === 'owner') t.runtime.service.applySettings(settings)
    else
      this.options.log?.info('Settings saved; the process that owns the queue keeps its own until it exits')
  }

  /** An owner pauses running transfers (keeping `.part`), saves the queue and releases the folder. */
  close(): Promise<void> {
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    return this.serialise(() => this.release())
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.switching.then(step)
    this.switching = next.catch(() => {})
    return next
  }

  private currentApi(): DownloadServiceApi | null {
    const t = this.target
    if (!t) return null
    return t.role === 'owner' ? t.runtime.service : t.transport.api
  }

  /** One try: connect to the owner if one serves, else become the owner if this process may. */
  private async attach(): Promise<void> {
    if (this.closed || this.target) return
    const ctx = this.options.context()
    const transport = await connectSocket(ctx.paths.socketPath, {
      timeoutMs: LINK_RETRY.connectTimeoutMs,
    }).catch((err: unknown) => {
      if (err instanceof ServiceError && err.code === 'unavailable') return null
      throw err
    })
    if (transport) return this.attachClient(transport, ctx)
    const own = this.options.own
    if (!own) return
    const runtime = await becomeOwner(ctx, own.kind, own.workerEntry, {
      ...(own.launcher ? { launcher: own.launcher } : {}),
      ...(own.halted !== undefined ? { halted: own.halted } : {}),
    })
    if (!runtime) return
    const detach = runtime.service.on(this.dispatch)
    this.target = { role: 'owner', runtime, detach }
    this.recovery ??= runtime.service.recovery
    this.options.log?.info(
      `This process (${own.kind}, pid ${process.pid}) owns the queue of ${ctx.paths.dir}`,
    )
  }

  private async attachClient(transport: SocketTransport, ctx: OwnerContext): Promise<void> {
    const target: Target = { role: 'client', transport, ownerKind: null, detach: null }
    this.target = target
    // Set before anything is awaited: a connection that ends from here on is noticed.
    void transport.closed.then((reason) => this.ownerGone(target, reason))
    if (this.listeners.size > 0) await this.subscribeTo(target)
    const status = await transport.api.status().catch(() => null)
    if (status?.owner) target.ownerKind = status.owner.kind
    this.options.log?.info(
      `Attached to the owner of ${ctx.paths.dir} (${status?.owner?.kind ?? 'unknown'}, pid ${status?.owner?.pid ?? '?'})`,
    )
  }

  private async subscribeTo(target: Extract<Target, { role: 'client' }>): Promise<void> {
    if (target.detach) return
    // A connection lost meanwhile is not this caller's failure: ownerGone reconnects and subscribes again.
    const detach = await target.transport.subscribe(this.dispatch).catch(() => null)
    if (detach && !target.detach) target.detach = detach
  }

  /** The owner's socket closed: it exited, was killed, or lost its lock. Take over or reconnect. */
  private ownerGone(target: Target, reason: ServiceError): void {
    if (this.closed || this.target !== target) return
    this.target = null
    const how = this.options.own ? 'taking over or reconnecting' : 'reconnecting'
    this.options.log?.info(`The owner of the queue went away (${reason.message}): ${how}`)
    this.failures = 0
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer || this.target) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.serialise(() => this.retry())
    }, retryDelayMs(this.failures))
    // A CLI command whose owner went away must still be able to exit.
    this.retryTimer.unref()
  }

  private async retry(): Promise<void> {
    try {
      await this.attach()
    } catch (err) {
      this.options.log?.error('Reaching or becoming the owner of the state folder failed', err)
    }
    if (this.closed) return
    if (!this.target) {
      this.failures++
      this.scheduleRetry()
      return
    }
    this.failures = 0
    for (const listener of this.switchListeners) this.safely(() => listener(this.role))
  }

  private async release(): Promise<void> {
    const t = this.target
    this.target = null
    if (!t) return
    t.detach?.()
    if (t.role === 'owner') await t.runtime.close()
    else t.transport.close()
  }

  private readonly dispatch = (event: ServiceEvent): void => {
    for (const listener of this.listeners) this.safely(() => listener(event))
  }

  private safely(call: () => void): void {
    try {
      call()
    } catch (err) {
      if (this.options.log) this.options.log.error('A service event listener failed', err)
      else console.error('modeldl: a service event listener failed:', err)
    }
  }

  private unavailable(): ServiceError {
    if (this.closed) return new ServiceError('unavailable', 'This process is shutting down')
    return new ServiceError(
      'unavailable',
      this.options.own
        ? 'The owner of the queue is changing (another process holds the state folder); this process keeps trying: try again shortly'
        : 'The owner of the queue went away and no other answers yet: try again shortly',
    )
  }
}
