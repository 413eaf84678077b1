import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureStateFolder, LOCK_STALE_MS } from '../core/service/owner/owner-lock'
import { connectService, type ServiceClient } from '../core/service/owner/socket-client'
import { ServiceError } from '../core/service/owner/service-error'
import type { DownloadServiceApi, ServiceEvent, StateRecovery } from '../shared/service-contract'
import type { CliContext } from './cli-settings'
import { becomeOwner, type OwnerRuntime } from '../core/service/owner/owner-runtime'
import { reportRecovery } from './state-snapshot'

/** The service as a command sees it: the owner's, over the socket, or this process's own. */
export interface ServiceSession {
  api: DownloadServiceApi
  subscribe(listener: (event: ServiceEvent) => void): Promise<() => void>
  /** Set when this process is the owner. */
  owner: OwnerRuntime | null
  /**
   * How the state file was recovered when the owner this command started (itself, or a background
   * owner) opened it; already told on stderr. Undefined when it was good, or the owner was running.
   */
  recovery?: StateRecovery
  close(): Promise<void>
}

function fromClient(client: ServiceClient): ServiceSession {
  return {
    api: client,
    subscribe: (l) => client.subscribe(l),
    owner: null,
    close: async () => client.close(),
  }
}

export async function tryConnect(ctx: CliContext): Promise<ServiceSession | null> {
  try {
    return fromClient(await connectService(ctx.paths.socketPath, { timeoutMs: 2_000 }))
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'unavailable') return null
    throw err
  }
}

/**
 * Reaches the owner of the state folder, or becomes it (`--wait`: this process runs the downloads
 * until they end). Two processes starting at once: one wins the lock, the other connects to it.
 */
export async function ownOrConnect(
  ctx: CliContext,
  workerEntry: string,
  options: { halted?: boolean } = {},
): Promise<ServiceSession> {
  // A killed owner's lock goes stale after LOCK_STALE_MS: wait that long (and a little) for it.
  const deadline = Date.now() + LOCK_STALE_MS + 5_000
  while (Date.now() < deadline) {
    const session = await tryConnect(ctx)
    if (session) return session
    const owner = await becomeOwner(ctx, 'cli', workerEntry, options)
    if (owner) {
      const recovery = owner.service.recovery
      reportRecovery(recovery)
      return {
        api: owner.service,
        subscribe: async (l) => owner.service.on(l),
        owner,
        ...(recovery ? { recovery } : {}),
        close: () => owner.close(),
      }
    }
    // Someone holds the lock but is not serving yet (starting up): try again shortly.
    await sleep(250)
  }
  throw new ServiceError(
    'unavailable',
    `Another process owns ${ctx.paths.dir} but does not answer on its socket`,
  )
}

/** Reaches the owner, starting a background owner (`modeldl worker run`) if there is none. */
export async function connectOrStartDaemon(ctx: CliContext, cliEntry: string): Promise<ServiceSession> {
  const existing = await tryConnect(ctx)
  if (existing) return existing
  // The child has no terminal: a folder it could not use would only show as "did not start".
  await ensureStateFolder(ctx.paths.dir)
  const child = spawn(process.execPath, [cliEntry, 'worker', 'run', '--home', ctx.paths.dir], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  })
  child.unref()
  for (let i = 0; i < 60; i++) {
    await sleep(100 + i * 10)
    const session = await tryConnect(ctx)
    if (session) {
      // It opened the state just now: if that meant recovering a damaged file, say so here.
      const recovery = await session.api.status().then(
        (s) => s.recovered,
        () => undefined,
      )
      reportRecovery(recovery)
      return recovery ? { ...session, recovery } : session
    }
  }
  throw new ServiceError('unavailable', `The background owner did not start; see ${ctx.paths.logFile}`)
}
