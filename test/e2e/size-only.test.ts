// "size only" in the window (issue 18), in Debian's Chromium against `modeldl serve --ui`: a store whose
// ETag is not an MD5 and that gives no checksum (s3rver behind the fault proxy) lets a file complete
// with only its length checked. Its row must say "size only" beside completed, with a tooltip saying
// why and what to do, and the details drawer must explain it; a file checked by its MD5 ETag must not.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { startServe, type ServeProcess } from '../support/serve-process'
import { makeTempDir, removeTempDir } from '../support/temp'
import { CHROMIUM } from './support/ui-session'
import {
  modelRow,
  nestedConfig,
  objectKeys,
  SCREENSHOT_DIR,
  screenshot,
  statusOf,
  waitForStatus,
} from './support/ui-helpers'

const MiB = 1024 * 1024
const UNCHECKED = 'no_checksum_lora.safetensors'
const CHECKED = 'md5_checked_lora.safetensors'
const MODELS = [
  { group: 'loras', name: UNCHECKED, size: 3 * MiB + 5 },
  { group: 'loras', name: CHECKED, size: 2 * MiB },
]
/** Where the screenshots are also left for a person to look at. */

let s3: TestS3Server
let proxy: FaultProxy
let serve: ServeProcess
let browser: Browser
let page: Page
let work: string

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  for (const [key, size] of Object.entries(objectKeys(MODELS))) await s3.putRandom(key, size)
  proxy = await startFaultProxy(s3.endpoint)
  proxy.setRules([
    {
      match: { keyIncludes: 'no_checksum' },
      fault: { kind: 'etag', etag: '"4a1e0c2d9f3b5a7c8e6d0f1b2a3c4d5e-2"' },
    },
  ])
  work = await makeTempDir('modeldl-e2e-size-only-')
  const nv = join(work, 'volume')
  await mkdir(nv)
  await writeFile(join(work, 'models.json'), JSON.stringify(nestedConfig(MODELS)))
  serve = await startServe(
    {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.envFor(proxy.url),
      NETWORK_VOLUME: nv,
      AWS_BUCKET_NAME: 'models',
      MODELDL_HOME: join(work, 'home'),
    },
    ['--config', join(work, 'models.json')],
  )
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 640 } })
  await page.goto(`${serve.origin()}/?token=${serve.token}`)
}, 120_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await serve?.stop()
  await proxy?.close()
  await s3?.close()
  if (work) await removeTempDir(work)
})

async function shot(name: string, target: Page | ReturnType<Page['locator']>): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  await target.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}

describe('a store without checksums, in the window', () => {
  it('the row of a file checked by its size only says "size only", with why and what to do', async () => {
    const button = page.getByRole('button', { name: /Download missing/ })
    await expect.poll(() => button.innerText(), { timeout: 30_000 }).toContain('(2)')
    await button.click()
    await waitForStatus(page, UNCHECKED, 'completed')
    await waitForStatus(page, CHECKED, 'completed')

    const marker = modelRow(page, UNCHECKED).getByText('size only', { exact: true })
    await expect.poll(() => marker.isVisible()).toBe(true)
    const tooltip = await modelRow(page, UNCHECKED)
      .locator('[data-verification="size-only"]')
      .getAttribute('title')
    expect(tooltip).toMatch(
      /the store gave no checksum and its ETag is not an MD5\. Add a sha256 to its config entry/,
    )
    // Checked by its MD5 ETag: completed, and nothing more to say.
    expect(await statusOf(page, CHECKED)).toBe('completed')
    expect(await modelRow(page, CHECKED).getByText('size only').count()).toBe(0)

    await screenshot(page, 'size-only-rows')
    await shot('size-only-rows', page)
    await shot('size-only-row', modelRow(page, UNCHECKED))
  })

  it('the details drawer shows "size only" as a caution and says what to do', async () => {
    await modelRow(page, UNCHECKED).hover()
    await page.getByRole('button', { name: `Details for ${UNCHECKED}` }).click()
    const drawer = page.getByRole('dialog', { name: `Details: ${UNCHECKED}` })
    const note = drawer.getByRole('note', { name: 'Verified by size only' })
    await expect.poll(() => note.isVisible()).toBe(true)
    expect(await note.innerText()).toMatch(
      /size only[\s\S]*no checksum[\s\S]*Add a sha256 to its config entry/,
    )
    await screenshot(page, 'size-only-drawer')
    await shot('size-only-drawer', page)
    await shot('size-only-drawer-panel', drawer)
    await page.getByRole('button', { name: 'Close details' }).click()

    // The checked file's drawer names its check, with no caution.
    await modelRow(page, CHECKED).hover()
    await page.getByRole('button', { name: `Details for ${CHECKED}` }).click()
    const other = page.getByRole('dialog', { name: `Details: ${CHECKED}` })
    await expect.poll(() => other.innerText()).toMatch(/Verified by\s+MD5 ETag/)
    expect(await other.getByRole('note', { name: 'Verified by size only' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Close details' }).click()
  })

  it('says the same in a dark window', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 640 }, colorScheme: 'dark' })
    const dark = await context.newPage()
    await dark.goto(`${serve.origin()}/?token=${serve.token}`)
    await waitForStatus(dark, UNCHECKED, 'completed')
    expect(await modelRow(dark, UNCHECKED).getByText('size only', { exact: true }).isVisible()).toBe(true)
    await modelRow(dark, UNCHECKED).hover()
    await dark.getByRole('button', { name: `Details for ${UNCHECKED}` }).click()
    await expect.poll(() => dark.getByRole('note', { name: 'Verified by size only' }).isVisible()).toBe(true)
    await screenshot(dark, 'size-only-drawer-dark')
    await shot('size-only-drawer-dark', dark)
    await context.close()
  })
})
