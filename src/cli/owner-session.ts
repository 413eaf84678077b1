// How a `modeldl` command reaches the service: a ServiceLink (src/core/service/owner/service-link.ts),
// opened the way the command needs it.
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureStateFolder } from '../core/service/owner/owner-lock'
import { ServiceError } from '../core/service/owner/service-error'
import { ServiceLink } from '../core/service/owner/service-link'
import { OPEN_TIMEOUT_MS } from '../core/service/owner/service-link-policy'
import type { CliContext } from './cli-settings'
import { reportRecovery } from './state-snapshot'

/**
 * The service as a command sees it: `api`, `subscribe(listener): Promise<unsubscribe>`, `owner` (set
 * while this process is the owner), `recovery` (how the state file was recovered when the owner this
 * command started opened it; already told on stderr) and `close()`. It is a ServiceLink: the name is
 * kept for the commands that import it.
 */
export type ServiceSession = ServiceLink

/** The owner's service if one answers now; null when none does. The session never owns the folder. */
export async function tryConnect(ctx: CliContext): Promise<ServiceSession | null> {
  try {
    return await ServiceLink.open({ context: () => ctx })
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'unavailable') return null
    throw err
  }
}

/**
 * Reaches the owner of the state folder, or becomes it (`--wait`: this process runs the downloads
 * until they end). Two processes starting at once: one wins the lock, the other connects to it. If the
 * owner goes away while the command runs, the session takes over (or reconnects) as any link does.
 */
export async function ownOrConnect(
  ctx: CliContext,
  workerEntry: string,
  options: { halted?: boolean } = {},
): Promise<ServiceSession> {
  const session = await ServiceLink.open({
    context: () => ctx,
    own: { kind: 'cli', workerEntry, ...(options.halted !== undefined ? { halted: options.halted } : {}) },
    openTimeoutMs: OPEN_TIMEOUT_MS,
  })
  reportRecovery(session.recovery)
  return session
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
  // Give it a moment to open the queue before the link's own retries start counting.
  await sleep(100)
  let session: ServiceSession
  try {
    session = await ServiceLink.open({ context: () => ctx, openTimeoutMs: OPEN_TIMEOUT_MS })
  } catch (err) {
    if (!(err instanceof ServiceError && err.code === 'unavailable')) throw err
    throw new ServiceError('unavailable', `The background owner did not start; see ${ctx.paths.logFile}`)
  }
  // It opened the state just now: if that meant recovering a damaged file, say so here.
  session.recovery = await session.api.status().then(
    (s) => s.recovered,
    () => undefined,
  )
  reportRecovery(session.recovery)
  return session
}
