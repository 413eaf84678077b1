// The whole desktop app as src/main/index.ts starts it, with only the electron module faked: real
// settings file, real service (owner of a temp state folder), the built worker under child_process and
// s3rver. What the Electron smoke test checks on a workstation, checked here through the fake window.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { forkLauncher } from '../../src/core/worker-host'
import { startDesktopApp, type DesktopApp } from '../../src/main/desktop-app'
import {
  INVOKE_CHANNELS,
  type ApiEnvelope,
  type LoadedConfig,
  type ResponseOf,
} from '../../src/shared/api-contract'
import type { ModelRecord } from '../../src/shared/service-contract'
import { builtWorkerEntry, ROOT } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { tempDirs } from '../support/temp'
import { fake, FakeWebContents, resetFakeElectron, type FakeBrowserWindow } from './support/fake-electron'
import { serveNestedConfig } from './support/nested-config'

vi.mock('electron', async () => (await import('./support/fake-electron')).electronModule)
// electron-store runs outside Vitest's module graph and loads the real electron npm package: see
// settings/electron-settings-store.test.ts for why this keeps it from looking for the binary.
vi.hoisted(() => vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', '/nonexistent/electron-dist'))

const INDEX_HTML = join(ROOT, 'out/renderer/index.html')
const temp = tempDirs()
let s3: TestS3Server
let desktop: DesktopApp | null = null

beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3.close()
  vi.unstubAllEnvs()
})
beforeEach(() => resetFakeElectron())
afterEach(async () => {
  await desktop?.shutdown()
  desktop = null
  await temp.cleanup()
})

async function until<T>(what: string, probe: () => T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function launch() {
  const dir = await temp.make('desktop-')
  const models = join(dir, 'models')
  fake.isPackaged = true // as installed: the log goes to its file only, not to the test's output
  fake.paths = { userData: join(dir, 'user-data'), logs: join(dir, 'logs'), documents: join(dir, 'docs') }
  const config = await serveNestedConfig(s3, dir, models, [
    { group: 'loras', modelName: 'detail.safetensors', size: 4 * 1024 * 1024 },
    { group: 'vae', modelName: 'ae.safetensors', size: 128 * 1024 },
  ])
  const requestQuit = vi.fn()
  desktop = await startDesktopApp({
    workerEntry: builtWorkerEntry(),
    launcher: forkLauncher,
    preload: join(ROOT, 'out/preload/index.cjs'),
    renderer: { indexHtml: INDEX_HTML },
    resourcesDir: join(ROOT, 'resources'),
    env: {
      ...s3.env,
      AWS_BUCKET_NAME: s3.bucket,
      MODELDL_HOME: join(dir, 'state'),
      MODELDL_MODELS_ROOT: models,
    },
    argv: ['/opt/Model Downloader/model-downloader', '--no-sandbox', 'models.json'],
    cwd: dir,
    platform: 'linux',
    requestQuit,
  })
  const win = fake.windows[0]!
  const invoke = async <T = unknown>(channel: string, payload?: unknown, from = win.webContents) =>
    (await fake.ipcMain.invoke(channel, from.invokeEvent(), payload)) as ApiEnvelope<T>
  return { dir, config, win, invoke, requestQuit }
}

const changedRecords = (win: FakeBrowserWindow): ModelRecord[] =>
  win.webContents.sentOn('downloads:changed').flatMap((p) => (p as { records: ModelRecord[] }).records)

describe('desktop app (electron faked, everything else real)', () => {
  it('opens one secure window on our page, a tray, every IPC channel, and the config named at launch', async () => {
    const { win, invoke, config } = await launch()
    expect(fake.windows).toHaveLength(1)
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    })
    expect(win.webContents.getURL()).toBe(pathToFileURL(INDEX_HTML).href)
    expect(win.visible).toBe(true)
    expect(fake.trays[0]?.image).toBe(join(ROOT, 'resources', 'tray.png'))
    expect(win.options.icon).toBe(join(ROOT, 'resources', 'icon.png'))
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort())

    const info = await invoke<ResponseOf<'app:info'>>('app:info')
    expect(info).toMatchObject({
      ok: true,
      result: { shell: 'electron', ownerKind: 'app', version: '0.1.0-test' },
    })

    // The launch's config is loaded and pushed to the window.
    const current = await until('the launch config', () => {
      const sent = win.webContents.sentOn('config:changed').at(-1) as LoadedConfig | undefined
      return sent ?? undefined
    })
    expect(current.source).toEqual({ kind: 'file', path: config.path })
    expect(new Set(current.models.map((m) => m.group))).toEqual(new Set(['loras', 'vae']))
    expect(await invoke('config:current')).toMatchObject({
      ok: true,
      result: { source: { path: config.path } },
    })

    // Another webContents cannot use the API.
    const stranger = new FakeWebContents(pathToFileURL(INDEX_HTML).href)
    expect(await invoke('downloads:list', undefined, stranger)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
  })

  it('downloads a model to completion: events to the window, taskbar progress, tray, one notification', async () => {
    const { win, invoke, config } = await launch()
    const model = config.models[0]!
    // Slow enough (about 2 s for 4 MiB, written 1 MiB at a time) for progress to show on the taskbar and in the tray.
    expect(await invoke('settings:update', { bandwidthLimitBps: 2 * 1024 * 1024 })).toMatchObject({
      ok: true,
    })
    const enqueued = await invoke<ResponseOf<'downloads:enqueue'>>('downloads:enqueue', {
      entries: [
        {
          group: model.group,
          modelName: model.modelName,
          s3Uri: `s3://${s3.bucket}/${model.key}`,
          localPath: model.localPath,
          expectedSize: model.size,
        },
      ],
    })
    expect(enqueued).toMatchObject({ ok: true, result: { queued: [model.localPath] } })

    await until('the tray tooltip to show progress', () =>
      /^Model Downloader — 0 of 1 models · [1-9]\d?%/.test(fake.trays[0]!.tooltip) ? true : undefined,
    )
    // Closing the window while a model downloads keeps it going in the tray (once the tray knows).
    await until('the tray to offer pause', () =>
      fake.trays[0]!.menu?.item('pause').enabled ? true : undefined,
    )
    win.close()
    expect(win.isDestroyed()).toBe(false)
    expect(win.visible).toBe(false)

    await until('completed in the window', () =>
      changedRecords(win).find((r) => r.id === model.localPath && r.status === 'completed'),
    )
    const onDisk = await readFile(model.localPath)
    expect(onDisk.length).toBe(model.size)

    const notification = await until('a notification', () => fake.notifications[0])
    expect(notification.options).toMatchObject({
      title: 'Model downloaded',
      body: `${model.modelName} (${model.group})`,
      icon: join(ROOT, 'resources', 'icon.png'),
    })
    expect(notification.shown).toBe(true)

    // The tray says nothing is running any more.
    // The bar showed the batch's fraction while bytes moved, and goes away once the batch is over.
    expect(win.progress.some((v) => v > 0 && v <= 1)).toBe(true)
    await until('the taskbar bar cleared', () => (win.progress.at(-1) === -1 ? true : undefined))
    expect(fake.trays[0]!.tooltip).toBe('Model Downloader')
    expect(fake.trays[0]!.menu?.item('pause').enabled).toBe(false)

    // Clicking the notification brings the window up on that model's row.
    notification.emit('click', {})
    expect(win.visible).toBe(true)
    expect(win.webContents.sentOn('app:focusModel')).toEqual([{ id: model.localPath }])

    // The completed model can be revealed; the window cannot reveal anything else.
    expect(await invoke('shell:reveal', { id: model.localPath })).toEqual({ ok: true })
    expect(fake.shell.showItemInFolder).toHaveBeenCalledWith(model.localPath)
    expect(await invoke('shell:reveal', { id: '/etc/passwd' })).toMatchObject({ ok: false })

    // With nothing running, closing really closes; the tray opens a new window on our page.
    win.close()
    expect(win.isDestroyed()).toBe(true)
    fake.trays[0]!.menu!.click('show')
    expect(fake.windows).toHaveLength(2)
    expect(fake.windows[1]!.webContents.getURL()).toBe(pathToFileURL(INDEX_HTML).href)
    expect(fake.windows[1]!.visible).toBe(true)
  })

  it('the tray quits through the app, and shutdown releases everything', async () => {
    const { requestQuit } = await launch()
    fake.trays[0]!.menu!.click('quit')
    expect(requestQuit).toHaveBeenCalledOnce()
    await desktop!.shutdown()
    desktop = null
    expect(fake.ipcMain.handlers.size).toBe(0)
    expect(fake.trays[0]!.destroyed).toBe(true)
  })
})
