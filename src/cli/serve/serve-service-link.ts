// `modeldl serve` reaches the queue of whichever process owns the state folder: its own service when
// nobody else runs, or the owner's over the local socket. An owner can go away (a background owner
// exits when its queue is empty, the app quits): then this process takes over, so the browser window
// keeps working without a restart.
import { setTimeout as sleep } from 'node:timers/promises'
import type { ServiceLink } from '../../core/app/app-backend'
import type { ServiceSettings } from '../../core/service/download-service'
import { LOCK_STALE_MS } from '../../core/service/owner/owner-lock'
import { becomeOwner, type OwnerContext, type OwnerRuntime } from '../../core/service/owner/owner-runtime'
import { ServiceError } from '../../core/service/owner/service-error'
import { connectService, type ServiceClient } from '../../core/service/owner/socket-client'
import { SERVICE_METHODS, type DownloadServiceApi, type ServiceEvent } from '../../shared/service-contract'

type Session = { kind: 'owner'; owner: OwnerRuntime } | { kind: 'client'; client: ServiceClient }

/** How often an attached server checks that the owner still answers. */
const WATCH_MS = 1_000

export class ServeServiceLink implements ServiceLink {
  readonly api: DownloadServiceApi
  private session: Session | null = null
  private readonly listeners = new Set<(event: ServiceEvent) => void>()
  private watchdog: NodeJS.Timeout | null = null
  private closed = false
  private reacquiring: Promise<void> | null = null

  private constructor(
    private readonly ctx: () => OwnerContext,
    private readonly workerEntry: string,
    private readonly report: (message: string) => void,
  ) {
    // Every contract method forwards to the session of the moment.
    this.api = Object.fromEntries(
      SERVICE_METHODS.map((method) => [
        method,
        (...params: unknown[]) => {
          const api = this.currentApi()
          if (!api) {
            return Promise.reject(new ServiceError('unavailable', 'The service is restarting: try again'))
          }
          return (api[method] as (...p: unknown[]) => Promise<unknown>)(...params)
        },
      ]),
    ) as unknown as DownloadServiceApi
  }

  /**
   * `ctx` is read whenever this process becomes the owner, so the service starts with the settings in
   * effect then. `report` tells the terminal who owns the queue.
   */
  static async open(
    ctx: () => OwnerContext,
    workerEntry: string,
    report: (message: string) => void,
  ): Promise<ServeServiceLink> {
    const link = new ServeServiceLink(ctx, workerEntry, report)
    await link.acquire()
    return link
  }

  /** This process's own service, when it is the owner. */
  get owner(): OwnerRuntime | null {
    return this.session?.kind === 'owner' ? this.session.owner : null
  }

  applySettings(settings: ServiceSettings): void {
    this.owner?.service.applySettings(settings)
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.watchdog) clearInterval(this.watchdog)
    await this.reacquiring
    const session = this.session
    this.session = null
    if (session?.kind === 'owner') await session.owner.close()
    else session?.client.close()
  }

  private currentApi(): DownloadServiceApi | null {
    if (!this.session) return null
    return this.session.kind === 'owner' ? this.session.owner.service : this.session.client
  }

  private dispatch = (event: ServiceEvent): void => {
    for (const listener of this.listeners) listener(event)
  }

  /** Connects to the owner, or becomes it; retries while a starting (or dead) owner holds the lock. */
  private async acquire(): Promise<void> {
    const deadline = Date.now() + LOCK_STALE_MS + 5_000
    while (!this.closed && Date.now() < deadline) {
      const client = await this.tryConnect()
      if (client) {
        await client.subscribe(this.dispatch)
        this.session = { kind: 'client', client }
        const s = await client.status()
        this.report(
          `Attached to the running owner (${s.owner?.kind ?? 'unknown'}, pid ${s.owner?.pid ?? '?'})`,
        )
        this.watch()
        return
      }
      const owner = await becomeOwner(this.ctx(), 'serve', this.workerEntry)
      if (owner) {
        owner.service.on(this.dispatch)
        this.session = { kind: 'owner', owner }
        this.report(`This process owns the queue (pid ${process.pid})`)
        return
      }
      await sleep(250)
    }
    if (!this.closed) {
      throw new ServiceError(
        'unavailable',
        `Another process owns ${this.ctx().paths.dir} but does not answer on its socket`,
      )
    }
  }

  private async tryConnect(): Promise<ServiceClient | null> {
    try {
      return await connectService(this.ctx().paths.socketPath, { timeoutMs: 2_000 })
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'unavailable') return null
      throw err
    }
  }

  /** While attached: notices the owner going away and takes over. */
  private watch(): void {
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = setInterval(() => {
      const session = this.session
      if (session?.kind !== 'client' || this.reacquiring) return
      session.client.status().catch((err: unknown) => {
        if (this.closed || this.session !== session) return
        if (!(err instanceof ServiceError && err.code === 'unavailable')) return
        if (this.watchdog) clearInterval(this.watchdog)
        this.watchdog = null
        this.session = null
        session.client.close()
        this.report('The owner of the queue went away: taking over')
        this.reacquiring = this.acquire()
          .catch((e: unknown) => this.report(`Could not reach or become the owner: ${String(e)}`))
          .finally(() => (this.reacquiring = null))
      })
    }, WATCH_MS)
    this.watchdog.unref()
  }
}
