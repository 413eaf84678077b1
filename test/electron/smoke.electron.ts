// The desktop app itself, in the real Electron binary, driven by Playwright's _electron: launch with a
// generated nested config on the command line, see its groups, download one model from a local s3rver
// to "completed", and see the app ask the OS for a notification. Run by `npm run test:electron`
// (scripts/test-electron.mjs), which says NOT RUN where the binary is not installed; this file is not
// matched by Vitest's default include, so it never runs, or passes, by accident.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { groupHeading, statusOf, waitForStatus } from '../e2e/support/ui-helpers'
import { serveNestedConfig, type ServedModel } from '../main/support/nested-config'
import { ROOT } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { tempDirs } from '../support/temp'

const temp = tempDirs()
let s3: TestS3Server
let app: ElectronApplication
let page: Page
let models: ServedModel[]

interface RequestedNotification {
  title: string
  body: string
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  const dir = await temp.make('electron-smoke-')
  const modelsRoot = join(dir, 'models')
  await mkdir(modelsRoot, { recursive: true })
  const config = await serveNestedConfig(s3, dir, modelsRoot, [
    { group: 'loras', modelName: 'detail_tweaker_xl.safetensors', size: 2 * 1024 * 1024 },
    { group: 'loras', modelName: 'film_grain_style.safetensors', size: 1024 * 1024 },
    { group: 'vae', modelName: 'sdxl_vae.safetensors', size: 512 * 1024 },
  ])
  models = config.models

  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  app = await electron.launch({
    // The project folder: Electron runs package.json's main (out/main/index.js), and app.getAppPath()
    // is this folder, so resources/ resolves as in a packaged app. The config path is what a file
    // manager's "Open with" passes (src/main/launch-args.ts).
    args: [ROOT, config.path],
    cwd: dir,
    env: {
      ...env,
      ...s3.env,
      AWS_BUCKET_NAME: s3.bucket,
      MODELDL_USER_DATA: join(dir, 'user-data'),
      MODELDL_HOME: join(dir, 'state'),
      MODELDL_MODELS_ROOT: modelsRoot,
    },
    timeout: 60_000,
  })
  // Record what the app asks the OS to show instead of showing it (a test run must not pop up
  // notifications, and a CI desktop may have no notification daemon at all).
  await app.evaluate(({ Notification }) => {
    const requested: Array<{ title: string; body: string }> = []
    ;(globalThis as { __requestedNotifications?: typeof requested }).__requestedNotifications = requested
    Notification.isSupported = () => true
    Notification.prototype.show = function show(this: InstanceType<typeof Notification>) {
      requested.push({ title: this.title, body: this.body })
    }
  })
  page = await app.firstWindow({ timeout: 60_000 })
  await page.waitForLoadState('domcontentloaded')
}, 120_000)

afterAll(async () => {
  await app?.close()
  await s3?.close()
  await temp.cleanup()
})

const requestedNotifications = () =>
  app.evaluate(
    () =>
      (globalThis as { __requestedNotifications?: RequestedNotification[] }).__requestedNotifications ?? [],
  )

describe('Model Downloader (Electron)', () => {
  it('opens one secure window on the built page, with window.api and no Node', async () => {
    expect(app.windows()).toHaveLength(1)
    expect(page.url()).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html/)
    // globalThis is the page's window (this project's types have no DOM).
    const world = await page.evaluate(() => {
      const page = globalThis as { api?: unknown; require?: unknown; process?: unknown }
      return { api: typeof page.api, require: typeof page.require, process: typeof page.process }
    })
    expect(world).toEqual({ api: 'object', require: 'undefined', process: 'undefined' })
  })

  it('shows the groups of the config named on the command line', async () => {
    await expect
      .poll(() => groupHeading(page, 'loras').innerText(), { timeout: 30_000 })
      .toContain('2 models')
    expect(await groupHeading(page, 'vae').innerText()).toContain('1 model')
    expect(await statusOf(page, 'sdxl_vae.safetensors')).toBe('missing')
  })

  it('downloads one model to completion and asks for a notification', async () => {
    const model = models.find((m) => m.modelName === 'detail_tweaker_xl.safetensors')!
    await page.getByRole('checkbox', { name: `Select ${model.modelName}` }).check()
    await page.getByRole('button', { name: /^Download selected/ }).click()
    await waitForStatus(page, model.modelName, 'completed')
    // The others were left alone.
    expect(await statusOf(page, 'film_grain_style.safetensors')).toBe('missing')

    await expect
      .poll(requestedNotifications, { timeout: 10_000 })
      .toContainEqual({ title: 'Model downloaded', body: `${model.modelName} (${model.group})` })
  })
})
