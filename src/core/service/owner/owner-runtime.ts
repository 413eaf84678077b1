import type { OwnerKind } from '../../../shared/service-contract'
import type { SettingsPatch } from '../../../shared/settings'
import type { StoredCredentials } from '../../app/settings-patch'
import type { WorkerLauncher } from '../../worker-host'
import { DownloadService, type ServiceSettings } from '../download-service'
import { createLogger, type Logger } from '../persist/log'
import { ProgressFileWriter } from '../persist/progress-file'
import { StateStore } from '../persist/state-store'
import type { StatePaths } from '../state-paths'
import { acquireOwnership, type OwnerLock } from './owner-lock'
import { followSettingsFile, type OwnerSettingsFollower } from './owner-settings'
import { serveService, type ServiceServer } from './socket-server'

/**
 * What an owner needs to know, built by every door from `<state>/settings.json` through the one
 * loader (settings-loader.ts). The owner follows that file: when anyone changes it, the service gets
 * the settings it now means, read with this process's environment and flags.
 */
export interface OwnerContext {
  paths: StatePaths
  settings: ServiceSettings
  env: Record<string, string | undefined>
  modelsRoots: string[]
  /** The flags this process was started with that win over the file (`--models-root`). */
  settingsOverrides?: SettingsPatch
  /** The app's stored keys; other owners use the AWS credential chain. */
  credentials?: () => StoredCredentials | undefined
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
  let follower: OwnerSettingsFollower | null = null
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
    follower = followSettingsFile({
      source: {
        path: ctx.paths.settingsFile,
        env: ctx.env,
        ...(ctx.settingsOverrides ? { overrides: ctx.settingsOverrides } : {}),
      },
      ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
      initial: ctx.settings,
      apply: (settings) => service.applySettings(settings),
      log,
    })
    server = await serveService(service, service, ctx.paths.socketPath)
    log.info(`Owner (${kind}) pid ${process.pid} serving ${ctx.paths.socketPath}`)
    let closing: Promise<void> | null = null
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        follower?.close()
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
    follower?.close()
    await server?.close()
    await lock.release()
    throw err
  }
}
