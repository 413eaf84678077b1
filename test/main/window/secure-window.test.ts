import { pathToFileURL } from 'node:url'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { PermissionCheckHandlerHandlerDetails, PermissionRequest } from 'electron'
import { isAllowedExternalUrl } from '../../../src/main/window/external-links'
import { createSecureWindow } from '../../../src/main/window/secure-window'
import type { FakeBrowserWindow } from '../support/fake-electron'
import { fake, resetFakeElectron } from '../support/fake-electron'

vi.mock('electron', async () => (await import('../support/fake-electron')).electronModule)

const INDEX_HTML = '/opt/model-downloader/out/renderer/index.html'
const PAGE = pathToFileURL(INDEX_HTML).href
const PRELOAD = '/opt/model-downloader/out/preload/index.cjs'

function openWindow(devUrl?: string): FakeBrowserWindow {
  createSecureWindow({
    preload: PRELOAD,
    renderer: { indexHtml: INDEX_HTML, ...(devUrl ? { devUrl } : {}) },
    icon: '/opt/model-downloader/resources/icon.png',
  })
  const win = fake.windows.at(-1)
  if (!win) throw new Error('no window was created')
  return win
}

/** Asks the session's permission request handler, as Chromium would for `url`'s page. */
function request(
  win: FakeBrowserWindow,
  permission: string,
  url = win.webContents.getURL(),
): Promise<boolean> {
  const handler = win.webContents.session.requestHandler
  if (!handler) throw new Error('no permission request handler')
  win.webContents.mainFrame.url = url
  return new Promise((resolve) =>
    handler(win.webContents.asWebContents(), permission as Parameters<typeof handler>[1], resolve, {
      requestingUrl: url,
      isMainFrame: true,
    } as unknown as PermissionRequest),
  )
}

function check(
  win: FakeBrowserWindow,
  permission: string,
  requestingOrigin: string,
  requestingUrl?: string,
): boolean {
  const handler = win.webContents.session.checkHandler
  if (!handler) throw new Error('no permission check handler')
  const details: PermissionCheckHandlerHandlerDetails = {
    isMainFrame: true,
    ...(requestingUrl ? { requestingUrl } : {}),
  }
  return handler(
    win.webContents.asWebContents(),
    permission as Parameters<typeof handler>[1],
    requestingOrigin,
    details,
  )
}

beforeEach(() => resetFakeElectron())

describe('secure window', () => {
  it('isolates the renderer: sandbox, context isolation, no Node, no webview', () => {
    const win = openWindow()
    expect(win.options.webPreferences).toMatchObject({
      preload: PRELOAD,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
    })
    // Nothing weakens it by accident.
    const prefs = win.options.webPreferences as Record<string, unknown>
    expect(prefs['enableBlinkFeatures']).toBeUndefined()
    expect(prefs['experimentalFeatures']).toBe(false)
    expect(win.options.icon).toBe('/opt/model-downloader/resources/icon.png')
  })

  it('loads the built page, and is shown only once it is ready', () => {
    const win = openWindow()
    expect(win.webContents.getURL()).toBe(PAGE)
    expect(win.options.show).toBe(false)
    expect(win.isVisible()).toBe(false)
    win.emit('ready-to-show')
    expect(win.isVisible()).toBe(true)
  })

  it('loads the dev server URL under electron-vite dev', () => {
    const win = openWindow('http://localhost:5173/')
    expect(win.webContents.getURL()).toBe('http://localhost:5173/')
  })

  it('denies every window.open; allowed https links go to the browser instead', () => {
    const win = openWindow()
    const open = win.webContents.windowOpenHandler
    if (!open) throw new Error('no window open handler')
    const details = (url: string) => ({ url }) as Parameters<typeof open>[0]
    expect(open(details('https://github.com/org/model-downloader#readme'))).toEqual({ action: 'deny' })
    expect(open(details('https://evil.example/'))).toEqual({ action: 'deny' })
    expect(open(details(PAGE))).toEqual({ action: 'deny' })
    expect(open(details('file:///etc/passwd'))).toEqual({ action: 'deny' })
    expect(fake.shell.openExternal).toHaveBeenCalledExactlyOnceWith(
      'https://github.com/org/model-downloader#readme',
    )
  })

  it('blocks every navigation, and hands only allow-listed links to the browser', () => {
    const win = openWindow()
    const contents = win.webContents
    for (const url of [
      'https://evil.example/',
      PAGE + '?other',
      'https://docs.aws.amazon.com/s3/',
      'smb://host/x',
    ]) {
      expect(contents.emitCancellable('will-navigate', url), url).toBe(true)
    }
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://docs.aws.amazon.com/s3/']])
  })

  it('lets a redirect stay on our page only', () => {
    const win = openWindow()
    expect(win.webContents.emitCancellable('will-redirect', `${PAGE}#/queue`)).toBe(false)
    expect(win.webContents.emitCancellable('will-redirect', 'https://evil.example/')).toBe(true)
  })

  it('refuses to attach webviews', () => {
    const win = openWindow()
    expect(win.webContents.emitCancellable('will-attach-webview', {}, {})).toBe(true)
  })

  it('denies permission requests, except clipboard writes from our own page', async () => {
    const win = openWindow()
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'fileSystem',
    ]) {
      expect(await request(win, permission), permission).toBe(false)
    }
    expect(await request(win, 'clipboard-sanitized-write')).toBe(true)
    expect(await request(win, 'clipboard-sanitized-write', 'https://evil.example/')).toBe(false)
  })

  it('answers permission checks the same way; a file:// page is judged by its URL, not its opaque origin', () => {
    const win = openWindow()
    // Chromium reports a file page's origin as "file:///"; the URL the check is made for says which file.
    expect(check(win, 'clipboard-sanitized-write', 'file:///', PAGE)).toBe(true)
    expect(check(win, 'clipboard-sanitized-write', 'file:///', pathToFileURL('/tmp/x.html').href)).toBe(false)
    expect(check(win, 'clipboard-sanitized-write', 'file:///')).toBe(false)
    expect(check(win, 'media', 'file:///', PAGE)).toBe(false)
    expect(check(win, 'clipboard-sanitized-write', 'https://evil.example', 'https://evil.example/')).toBe(
      false,
    )

    const dev = openWindow('http://localhost:5173/')
    expect(check(dev, 'clipboard-sanitized-write', 'http://localhost:5173', 'http://localhost:5173/')).toBe(
      true,
    )
    expect(check(dev, 'clipboard-sanitized-write', 'http://localhost:5173')).toBe(true)
    expect(check(dev, 'notifications', 'http://localhost:5173')).toBe(false)
  })
})

describe('openExternal allow-list', () => {
  it('allows https pages under the listed prefixes only', () => {
    expect(isAllowedExternalUrl('https://github.com/')).toBe(true)
    expect(isAllowedExternalUrl('https://docs.aws.amazon.com/AmazonS3/latest/userguide/')).toBe(true)
    expect(isAllowedExternalUrl('https://huggingface.co/black-forest-labs')).toBe(true)
  })

  it('refuses other schemes, hosts that only share a prefix, credentials and garbage', () => {
    for (const url of [
      'http://github.com/',
      'https://github.com.evil.example/',
      'https://evil.example/?https://github.com/',
      'https://user:pass@github.com/',
      'https://GITHUB.com@evil.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:privacy',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false)
    }
  })

  it('normalises before comparing', () => {
    expect(isAllowedExternalUrl('HTTPS://GitHub.com/a')).toBe(true)
    expect(isAllowedExternalUrl('https://github.com/../../evil')).toBe(true) // still github.com
    expect(isAllowedExternalUrl('https://docs.aws.amazon.com.evil.example/')).toBe(false)
  })
})
