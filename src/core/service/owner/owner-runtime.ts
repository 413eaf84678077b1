import type { OwnerKind } from '../../../shared/service-contract'
import type { WorkerLauncher } from '../../worker-host'
import { DownloadService, type ServiceSettings } from '../download-service'
import { createLogger, type Logger } from '../persist/log'
import { ProgressFileWriter } from '../persist/progress-file'
import { StateStore } from '../persist/state-store'
import type { StatePaths } from '../state-paths'
import { acquireOwnership, type OwnerLock } from './owner-lock'
import { serveService, type ServiceServer } from './socket-server'

/** What an owner needs to know: the CLI builds it from flags and settings.json, the app from its store. */
export interface OwnerContext {
  paths: StatePaths
  settings: ServiceSettings
  env: Record<string, string | undefined>
  modelsRoots: string[]
}

/** This process owns the state folder: the service runs here and is served on the local socket. */
export interface OwnerRuntime {
  service: DownloadService
  log: Logger
  close(): Promise<void>
}

/** Becomes the owner, or returns null when another live process already is. */
export async function becomeOwner(
  ctx: OwnerContext,
  kind: OwnerKind,
  workerEntry: string,
  options: { halted?: boolean; launcher?: WorkerLauncher } = {},
): Promise<OwnerRuntime | null> {
  const lock: OwnerLock | null = await acquireOwnership(ctx.paths, { kind })
  if (!lock) return null
  const log = createLogger(ctx.paths.logFile)
  let server: ServiceServer | null = null
  try {
    const service = await DownloadService.open({
      paths: ctx.paths,
      settings: ctx.settings,
      ownerKind: kind,
      workerEntry,
      ...(options.launcher ? { launcher: options.launcher } : {}),
      env: ctx.env,
      store: new StateStore(ctx.paths.stateFile, { log: log.log }),
      progressFile: new ProgressFileWriter(ctx.paths.progressFile, { log: log.log }),
      log,
      modelsRoots: ctx.modelsRoots,
      halted: options.halted ?? false,
    })
    server = await serveService(service, service, ctx.paths.socketPath)
    log.info(`Owner (${kind}) pid ${process.pid} serving ${ctx.paths.socketPath}`)
    let closing: Promise<void> | null = null
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await server?.close()
        await service.close()
        await lock.release()
      })())
    void lock.compromised.then((err) => {
      log.error(`Lost ownership of ${ctx.paths.dir}: ${err.message}`)
      void close()
    })
    return { service, log, close }
  } catch (err) {
    await server?.close()
    await lock.release()
    throw err
  }
}
