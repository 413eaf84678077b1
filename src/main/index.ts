// Electron main: one instance per user data folder, the desktop app once Electron is ready, and a
// graceful quit (running transfers pause and keep their `.part` files, the queue is saved; the next
// start resumes them).
import { join, resolve } from 'node:path'
import { app } from 'electron'
import workerEntry from '../worker/index?modulePath'
import { startDesktopApp, type DesktopApp } from './desktop-app'
import { utilityProcessLauncher } from './worker-launcher'

/** A quit never hangs on a stuck transfer: after this the process exits and the next start resumes. */
const SHUTDOWN_LIMIT_MS = 20_000

// Tests and portable setups point the app at a folder of its own (settings, logs, single-instance lock).
if (process.env['MODELDL_USER_DATA']) app.setPath('userData', resolve(process.env['MODELDL_USER_DATA']))

let desktop: DesktopApp | null = null
let shutDown = false
let pendingHandOver: { argv: string[]; cwd: string } | null = null

function onSecondInstance(_event: unknown, argv: string[], cwd: string): void {
  if (!desktop) {
    pendingHandOver = { argv, cwd } // still starting: handled once the window exists
    return
  }
  void desktop.handOver(argv, cwd).catch((err: unknown) => desktop?.log.error('Handing over failed', err))
}

async function start(): Promise<void> {
  await app.whenReady()
  const appDir = app.getAppPath()
  desktop = await startDesktopApp({
    workerEntry,
    launcher: utilityProcessLauncher({
      onError: (message) => desktop?.log.error(`The transfer worker process failed: ${message}`),
    }),
    preload: join(import.meta.dirname, '../preload/index.cjs'),
    renderer: {
      indexHtml: join(import.meta.dirname, '../renderer/index.html'),
      ...(!app.isPackaged && process.env['ELECTRON_RENDERER_URL']
        ? { devUrl: process.env['ELECTRON_RENDERER_URL'] }
        : {}),
    },
    resourcesDir: join(appDir, 'resources'),
    env: process.env,
    argv: process.argv,
    cwd: process.cwd(),
    platform: process.platform,
    requestQuit: () => app.quit(),
  })
  if (pendingHandOver) onSecondInstance(null, pendingHandOver.argv, pendingHandOver.cwd)
  pendingHandOver = null
}

if (!app.requestSingleInstanceLock()) {
  // Another instance runs for this user: it gets our arguments through 'second-instance' and shows itself.
  app.quit()
} else {
  app.on('second-instance', onSecondInstance)
  // macOS hands files opened with the app over this way, not through argv.
  app.on('open-file', (event, path) => {
    event.preventDefault()
    onSecondInstance(null, [process.execPath, path], process.cwd())
  })
  app.on('activate', () => desktop?.showWindow())
  app.on('window-all-closed', () => {
    // On macOS an app stays in the dock with no window; elsewhere the last window closing quits (when
    // downloads run, closing the window only hides it to the tray, so this is not reached).
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('before-quit', (event) => {
    if (shutDown || !desktop) return
    event.preventDefault()
    const running = desktop
    const limit = setTimeout(() => {
      running.log.error(
        `Shutdown took over ${SHUTDOWN_LIMIT_MS / 1000} s: exiting; the queue resumes at the next start`,
      )
      app.exit(1)
    }, SHUTDOWN_LIMIT_MS)
    void running.shutdown().finally(() => {
      clearTimeout(limit)
      shutDown = true
      app.quit()
    })
  })
  start().catch((err: unknown) => {
    console.error('Model Downloader could not start:', err)
    desktop?.log.error('Could not start', err)
    app.exit(1)
  })
}
