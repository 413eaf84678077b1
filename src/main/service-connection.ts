import { setTimeout as sleep } from 'node:timers/promises'
import { becomeOwner, type OwnerContext, type OwnerRuntime } from '../core/service/owner/owner-runtime'
import { ServiceError } from '../core/service/owner/service-error'
import { connectService, type ServiceClient } from '../core/service/owner/socket-client'
import type { ServiceSettings } from '../core/service/download-service'
import type { WorkerLauncher } from '../core/worker-host'
import {
  SERVICE_METHODS,
  type DownloadServiceApi,
  type OwnerKind,
  type ServiceEvent,
} from '../shared/service-contract'

export type ConnectionRole = 'owner' | 'client' | 'none'

export interface ServiceConnectionOptions {
  /** Read again each time this process becomes the owner, so it starts with the current settings. */
  ownerContext: () => OwnerContext
  workerEntry: string
  launcher?: WorkerLauncher
  log: {
    info(message: string): void
    warn(message: string): void
    error(message: string, ...data: unknown[]): void
  }
  /** How often a client (or a process that reached nobody) tries to take ownership. */
  retryMs?: number
  /** How long open() keeps trying before it settles for 'none' and leaves the rest to the retries. */
  openTimeoutMs?: number
}

type Target =
  | { role: 'owner'; runtime: OwnerRuntime; detach: () => void }
  | { role: 'client'; client: ServiceClient; ownerKind: OwnerKind; detach: () => void }

/**
 * The app's way to the DownloadService of its state folder, which it normally owns (so `modeldl`
 * commands act on the app's queue through the socket the owner serves). When another process — a CLI
 * daemon, `modeldl serve` — owns the folder already, the app is its client over the same socket, and
 * every few seconds tries to take ownership, which succeeds once that process exits (or its lock goes
 * stale after a kill). Callers see one stable `api` and one set of subscribers across these switches.
 */
export class ServiceConnection {
  readonly api: DownloadServiceApi
  private target: Target | null = null
  private readonly listeners = new Set<(event: ServiceEvent) => void>()
  private retryTimer: NodeJS.Timeout | null = null
  /** Serialises ownership changes: a retry and close never interleave. */
  private switching: Promise<void> = Promise.resolve()
  private closed = false

  private constructor(private readonly options: ServiceConnectionOptions) {
    const methods = Object.fromEntries(
      SERVICE_METHODS.map((method) => [
        method,
        (...params: unknown[]) => {
          const t = this.target
          if (!t) return Promise.reject(this.unavailable())
          const api: DownloadServiceApi = t.role === 'owner' ? t.runtime.service : t.client
          return (api[method] as (...p: unknown[]) => Promise<unknown>)(...params)
        },
      ]),
    )
    this.api = methods as unknown as DownloadServiceApi
  }

  /** Owns the state folder, or connects to its owner; retries in the background when neither worked. */
  static async open(options: ServiceConnectionOptions): Promise<ServiceConnection> {
    const connection = new ServiceConnection(options)
    const deadline = Date.now() + (options.openTimeoutMs ?? 15_000)
    while (!connection.target && Date.now() < deadline) {
      await connection.tryOwnOrConnect()
      // Someone holds the lock but does not serve yet (starting up, or killed and not yet stale).
      if (!connection.target) await sleep(250)
    }
    if (!connection.target)
      options.log.warn('No service reachable yet: another process holds the state folder; retrying')
    if (connection.role !== 'owner') connection.scheduleRetry()
    return connection
  }

  get role(): ConnectionRole {
    return this.target?.role ?? 'none'
  }

  /** Who owns the queue this window shows: this app, or the process it is a client of. */
  get ownerKind(): OwnerKind {
    return this.target?.role === 'client' ? this.target.ownerKind : 'app'
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /**
   * New settings for the service. An owner applies them at once (DownloadService.applySettings); a
   * client cannot change another process's settings: they apply when this app becomes the owner
   * (ownerContext is read again then).
   */
  applySettings(settings: ServiceSettings): void {
    const t = this.target
    if (t?.role === 'owner') t.runtime.service.applySettings(settings)
    else this.options.log.info('Settings saved; the process that owns the queue keeps its own until it exits')
  }

  /** Pauses running transfers (keeping `.part`), saves the queue, releases the state folder. */
  close(): Promise<void> {
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    return this.serialise(() => this.release())
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    this.switching = this.switching.then(step, step)
    return this.switching
  }

  private async tryOwnOrConnect(): Promise<void> {
    const { ownerContext, workerEntry, launcher, log } = this.options
    const ctx = ownerContext()
    const runtime = await becomeOwner(ctx, 'app', workerEntry, launcher ? { launcher } : {})
    if (runtime) {
      const detach = runtime.service.on((e) => this.dispatch(e))
      this.target = { role: 'owner', runtime, detach }
      log.info(`The app owns ${ctx.paths.dir}`)
      return
    }
    try {
      const client = await connectService(ctx.paths.socketPath, { timeoutMs: 2_000 })
      const detach = await client.subscribe((e) => this.dispatch(e))
      const status = await client.status()
      const ownerKind = status.owner?.kind ?? 'daemon'
      this.target = { role: 'client', client, ownerKind, detach }
      log.info(
        `Another process owns ${ctx.paths.dir} (${ownerKind}, pid ${status.owner?.pid}): the app is its client`,
      )
    } catch (err) {
      if (!(err instanceof ServiceError && err.code === 'unavailable')) throw err
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.serialise(() => this.retryOwnership())
    }, this.options.retryMs ?? 5_000)
  }

  private async retryOwnership(): Promise<void> {
    if (this.closed || this.target?.role === 'owner') return
    const runtime = await becomeOwner(this.options.ownerContext(), 'app', this.options.workerEntry, {
      ...(this.options.launcher ? { launcher: this.options.launcher } : {}),
    }).catch((err: unknown) => {
      this.options.log.error('Taking ownership of the state folder failed', err)
      return null
    })
    if (!runtime) {
      // Still owned elsewhere: stay its client, or connect again if that connection was lost (the
      // owner was replaced by another process since).
      if (this.target?.role === 'client') {
        const alive = await this.target.client.status().then(
          () => true,
          () => false,
        )
        if (!alive) await this.release()
      }
      if (!this.target) {
        await this.tryOwnOrConnect().catch(() => undefined)
        if (this.target) await this.resync()
      }
      this.scheduleRetry()
      return
    }
    if (this.target?.role === 'client') {
      this.target.detach()
      this.target.client.close()
    }
    this.target = { role: 'owner', runtime, detach: runtime.service.on((e) => this.dispatch(e)) }
    this.options.log.info('The previous owner is gone: the app owns the state folder now')
    await this.resync()
  }

  /** Whatever changed while no events came (between two owners) reaches the windows in one go. */
  private async resync(): Promise<void> {
    const snapshot = await this.api.snapshot().catch(() => null)
    if (snapshot) this.dispatch({ type: 'changed', data: { ...snapshot, removed: [] } })
  }

  private async release(): Promise<void> {
    const t = this.target
    this.target = null
    if (!t) return
    t.detach()
    if (t.role === 'owner') await t.runtime.close()
    else t.client.close()
  }

  private dispatch(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (err) {
        this.options.log.error('A service event listener failed', err)
      }
    }
  }

  private unavailable(): ServiceError {
    return new ServiceError(
      'unavailable',
      this.closed
        ? 'The app is shutting down'
        : 'Another process holds the state folder and does not answer yet; the app keeps trying',
    )
  }
}
