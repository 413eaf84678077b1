// The desktop app once Electron is ready: settings, the service (owned, or reached over the socket),
// the window's backend with the desktop-only handlers, IPC, the window, tray, notifications and the
// taskbar progress. src/main/index.ts adds the process lifecycle (single instance, quit) around it.
import { join } from 'node:path'
import { app, ipcMain, safeStorage, type BrowserWindow } from 'electron'
import { createAppBackend, type AppBackend } from '../core/app/app-backend'
import { defaultAppSettings } from '../core/app/settings-store'
import type { OwnerContext } from '../core/service/owner/owner-runtime'
import { ServiceLink } from '../core/service/owner/service-link'
import { createLogger, type Logger } from '../core/service/persist/log'
import { defaultStateDir, statePaths } from '../core/service/state-paths'
import type { ApiHandlers, EventChannel, EventContract } from '../shared/api-contract'
import { gatedHandlers } from '../core/gate/request-gate'
import { desktopHandlers } from './desktop-handlers'
import { createEventForwarder } from './ipc/event-forwarder'
import { registerInvokeHandlers } from './ipc/register-invoke-handlers'
import { ownTopFrameGuard } from './ipc/sender-guard'
import { configPathFromArgv } from './launch-args'
import { ElectronSettingsStore } from './settings/electron-settings-store'
import { taskbarProgressValue } from './shell/batch-summary'
import { CompletionNotifier } from './shell/completion-notifier'
import { OsNotifications } from './shell/os-notifications'
import { ShellStateMonitor, type ShellState } from './shell/shell-state-monitor'
import { TrayController } from './shell/tray-controller'
import { confirmCancelAll } from './shell/confirm-cancel'
import { createSecureWindow } from './window/secure-window'
import type { RendererLocation } from './window/renderer-location'
import type { WorkerLauncher } from '../core/worker-host'

export interface DesktopAppOptions {
  workerEntry: string
  launcher: WorkerLauncher
  preload: string
  renderer: RendererLocation
  /** resources/: icons and the sample config. */
  resourcesDir: string
  env: Record<string, string | undefined>
  argv: readonly string[]
  cwd: string
  platform: NodeJS.Platform
  /** Called when the user chose Quit in the tray. */
  requestQuit(): void
}

export interface DesktopApp {
  readonly backend: AppBackend
  readonly handlers: ApiHandlers
  readonly connection: ServiceLink
  readonly log: Logger
  window(): BrowserWindow | null
  showWindow(): void
  /** A second launch's arguments: show the window, open the config it names. */
  handOver(argv: readonly string[], cwd: string): Promise<void>
  /** Stops everything; running transfers pause with their `.part` files kept, the queue is saved. */
  shutdown(): Promise<void>
}

export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp> {
  const { env, platform, resourcesDir } = options
  const log = createLogger(join(app.getPath('logs'), 'main.log'), { console: !app.isPackaged })
  log.info(`Model Downloader ${app.getVersion()} starting (pid ${process.pid})`)

  const paths = statePaths(defaultStateDir(env, platform), env, platform)
  // The state folder's settings.json, as the CLI and `modeldl serve` read it; only the keys stay here.
  const settings = await ElectronSettingsStore.open({
    safeStorage,
    defaults: defaultAppSettings(env),
    cwd: app.getPath('userData'),
    settingsFile: paths.settingsFile,
    env,
    platform,
    log,
  })
  const ownerContext = (): OwnerContext => {
    const service = settings.serviceSettings()
    return {
      paths,
      env,
      settings: service,
      modelsRoots: service.modelsRoots ?? [settings.view().settings.modelsRoot],
      credentials: () => settings.credentials(),
    }
  }
  // The app owns its state folder, or is a client of the process that does and takes over when it goes;
  // after 15 s of neither (a lock held by a process that does not serve) the window opens anyway.
  const connection = await ServiceLink.open({
    context: ownerContext,
    own: { kind: 'app', workerEntry: options.workerEntry, launcher: options.launcher },
    openTimeoutMs: 15_000,
    keepTrying: true,
    log,
  })

  const backend = await createAppBackend({
    service: connection,
    applyServiceSettings: (s) => connection.applySettings(s),
    settings,
    paths,
    ownerKind: connection.ownerKind,
    shell: 'electron',
    version: app.getVersion(),
    platform,
    env,
    sampleConfigPath: join(resourcesDir, 'sample-model-config.json'),
    log: (level, message) => log[level](message),
  })

  // ---- the window ----------------------------------------------------------------------------------
  let win: BrowserWindow | null = null
  let quitting = false
  let tray: TrayController | null = null
  let shellState: ShellState = { batch: null, counts: null }
  let progressValue = -1
  const icon = join(resourcesDir, 'icon.png')

  const ensureWindow = (): BrowserWindow => {
    if (win && !win.isDestroyed()) return win
    const created = createSecureWindow({ preload: options.preload, renderer: options.renderer, icon })
    created.on('close', (event) => {
      // Closing the window while models download keeps them going in the tray; Quit ends them.
      const busy = shellState.counts ? shellState.counts.queued + shellState.counts.progress > 0 : false
      if (!quitting && tray && busy) {
        event.preventDefault()
        created.hide()
      }
    })
    created.on('closed', () => {
      if (win === created) win = null
    })
    progressValue = -1
    win = created
    return created
  }
  const showWindow = (): void => {
    const w = ensureWindow()
    if (w.isMinimized()) w.restore()
    w.show()
    w.focus()
  }
  const sendToWindow = <C extends EventChannel>(channel: C, payload: EventContract[C]): void => {
    if (!win || win.isDestroyed()) return
    const contents = win.webContents
    // A window opened just now (a notification clicked after the window was closed) gets it once loaded.
    if (contents.isLoading()) contents.once('did-finish-load', () => contents.send(channel, payload))
    else contents.send(channel, payload)
  }

  // ---- IPC --------------------------------------------------------------------------------------------
  const notifications = new OsNotifications((id) => {
    showWindow()
    sendToWindow('app:focusModel', { id })
  }, icon)
  const handlers: ApiHandlers = {
    ...backend.handlers,
    ...gatedHandlers(
      desktopHandlers({
        base: backend.handlers,
        loadConfigFile: (path) => backend.loadConfigFile(path),
        openWorkflowFile: (path) => backend.openWorkflowFile(path),
        allowConfigFolder: (folder) => backend.allowConfigFolder(folder),
        window: () => win,
        modelsRoot: () => settings.view().settings.modelsRoot,
        ownerKind: () => connection.ownerKind,
        notificationsSupported: notifications.supported,
        documentsDir: app.getPath('documents'),
      }),
    ),
  }
  const unregister = registerInvokeHandlers({
    ipc: ipcMain,
    handlers,
    guard: ownTopFrameGuard(() => (win && !win.isDestroyed() ? [win.webContents] : []), options.renderer),
    log,
  })

  // ---- tray, notifications, taskbar ----------------------------------------------------------------
  const notifier = new CompletionNotifier({
    show: (n) => notifications.show(n),
    enabled: () => settings.view().settings.notifications,
  })
  const monitor = new ShellStateMonitor(
    () => connection.api.snapshot(),
    (state) => {
      shellState = state
      tray?.update(state.batch, state.counts)
      const value = taskbarProgressValue(state.batch)
      if (value !== progressValue && win && !win.isDestroyed()) {
        progressValue = value
        win.setProgressBar(value)
      }
    },
  )
  const queueAction = (what: string, run: () => Promise<unknown>): void => {
    run().catch((err: unknown) => log.error(`Tray: ${what} failed`, err))
  }
  try {
    tray = new TrayController(join(resourcesDir, platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'), {
      showWindow,
      pauseAll: () => queueAction('pause all', () => handlers['downloads:pause']({ all: true })),
      resumeAll: () => queueAction('resume all', () => handlers['downloads:resume']({ all: true })),
      cancelAll: () =>
        queueAction('cancel all', async () => {
          if (await confirmCancelAll(win)) await handlers['downloads:cancel']({ all: true })
        }),
      quit: () => options.requestQuit(),
    })
  } catch (err) {
    // Some Linux desktops have no tray: the app still works, closing the window then quits it.
    log.warn(`No tray icon: ${(err as Error).message}`)
  }

  const forwarder = createEventForwarder(sendToWindow)
  const offEvents = backend.onEvent((channel, payload) => {
    forwarder.emit(channel, payload)
    if (channel === 'downloads:progress')
      monitor.push({ type: 'progress', data: payload as EventContract['downloads:progress'] })
    else if (channel === 'downloads:changed') {
      const change = payload as EventContract['downloads:changed']
      notifier.observe(change.records)
      monitor.push({ type: 'changed', data: change })
    }
  })
  void monitor.start()

  const handOver = async (argv: readonly string[], cwd: string): Promise<void> => {
    showWindow()
    const config = configPathFromArgv(argv, cwd)
    if (!config) return
    log.info(`Opening the config handed over: ${config}`)
    const result = await backend.loadConfigFile(config)
    if (!result.ok) log.warn(`The config ${config} was not loaded: ${result.message}`)
  }

  showWindow()
  const initial = configPathFromArgv(options.argv, options.cwd)
  if (initial)
    void handOver(options.argv, options.cwd).catch((err: unknown) =>
      log.error('Opening the config failed', err),
    )

  let stopping: Promise<void> | null = null
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      quitting = true
      log.info('Shutting down: pausing running transfers, saving the queue')
      offEvents()
      forwarder.dispose()
      notifier.dispose()
      monitor.dispose()
      unregister()
      await backend.close().catch((err: unknown) => log.error('Closing the backend failed', err))
      await connection.close().catch((err: unknown) => log.error('Closing the service failed', err))
      settings.close()
      notifications.dispose()
      tray?.destroy()
      tray = null
      log.info('Shut down')
    })())

  return {
    backend,
    handlers,
    connection,
    log,
    window: () => (win && !win.isDestroyed() ? win : null),
    showWindow,
    handOver,
    shutdown,
  }
}
