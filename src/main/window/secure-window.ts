import { BrowserWindow, shell, type WebContents } from 'electron'
import { isAllowedExternalUrl } from './external-links'
import { isRendererUrl, type RendererLocation } from './renderer-location'

/** Permissions the renderer may use: writing plain text to the clipboard ("copy path"). Nothing else. */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write'])

/**
 * Locks a window's contents down: no navigation away from our page, no new windows (an allowed https
 * link opens in the browser instead), no webviews, and permission requests and checks denied unless
 * our own page asks for one of ALLOWED_PERMISSIONS.
 */
export function hardenWebContents(contents: WebContents, renderer: RendererLocation): void {
  const openOutside = (url: string): void => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url)
  }
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event, url) => {
    event.preventDefault()
    openOutside(url)
  })
  contents.on('will-redirect', (event, url) => {
    if (!isRendererUrl(url, renderer)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.session.setPermissionRequestHandler((wc, permission, callback) => {
    callback(ALLOWED_PERMISSIONS.has(permission) && isRendererUrl(wc.getURL(), renderer))
  })
  contents.session.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) => {
    // A file:// page's origin is opaque ("file:///"), which says nothing about which file asks: judge
    // the URL the check is made for when Chromium gives it, the origin otherwise (the dev server's).
    const asking = details.requestingUrl ?? requestingOrigin
    return ALLOWED_PERMISSIONS.has(permission) && isRendererUrl(asking, renderer)
  })
}

export interface MainWindowOptions {
  preload: string
  renderer: RendererLocation
  icon?: string
}

/** The one way this app makes a window. */
export function createSecureWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 720,
    minHeight: 420,
    show: false,
    title: 'Model Downloader',
    backgroundColor: '#111214',
    ...(options.icon ? { icon: options.icon } : {}),
    // The renderer shows data from config files and S3 listings: treat it as untrusted, so it gets no
    // Node, no Electron, its own JS world, and the Chromium sandbox. Written out here, at the window's
    // creation, so that `npm run security` (electronegativity reads this literal) checks them too.
    webPreferences: {
      preload: options.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      // Middle-click opens links through setWindowOpenHandler (denied) anyway; without auxclick the
      // page never sees the event either.
      disableBlinkFeatures: 'Auxclick',
      // A file dropped on the window is read by the renderer's drop handler; it must never replace the page.
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  })
  hardenWebContents(win.webContents, options.renderer)
  win.once('ready-to-show', () => win.show())
  if (options.renderer.devUrl) void win.loadURL(options.renderer.devUrl)
  else void win.loadFile(options.renderer.indexHtml)
  return win
}
