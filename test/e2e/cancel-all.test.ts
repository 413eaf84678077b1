// Cancel all on 30 downloads, in Debian's Chromium against `modeldl serve --ui` with a real worker and
// s3rver behind the project's fault proxy, which holds every GET a moment, and a bandwidth limit of 1 MB/s
// for the 63 MB: the batch is still running and waiting when the user cancels. The window follows the service's events
// only, so the "Latest batch" panel must end where the service does (30 cancelled, no speed, no ETA),
// not frozen on its last progress tick, and no cancelled row may keep a bar.
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUiSession, type UiSession } from './support/ui-session'
import { nestedConfig, objectKeys, SCREENSHOT_DIR, statusOf, type ModelObject } from './support/ui-helpers'

const MiB = 1024 * 1024
const MODELS: ModelObject[] = Array.from({ length: 30 }, (_, i) => ({
  group: 'loras',
  name: `style_lora_${String(i).padStart(2, '0')}.safetensors`,
  size: 2 * MiB,
}))

let session: UiSession
let page: Page

beforeAll(async () => {
  session = await startUiSession({
    objects: objectKeys(MODELS),
    config: () => nestedConfig(MODELS),
    loadConfigAtStart: true,
    faultRules: [{ match: { method: 'GET' }, fault: { kind: 'delay', ms: 300 } }],
    // Bytes keep moving (a speed to show) but the batch needs a minute.
    settings: { bandwidthLimitBps: 1_000_000 },
  })
  // Tall enough for all 30 rows at once: the table only draws the rows in view.
  page = await session.newPage({ height: 1500 })
}, 120_000)

afterAll(async () => {
  await session?.close()
})

const batchPanel = () => page.getByRole('region', { name: 'Latest batch' })
const batchText = () =>
  batchPanel()
    .innerText()
    .catch(() => '')

describe('Cancel all on 30 models', () => {
  it('queues 30 models that start downloading slowly', async () => {
    await page.getByRole('button', { name: 'Download missing (30)' }).click()
    await expect.poll(batchText, { timeout: 30_000 }).toMatch(/0 of 30 models done/)
    // Running for real: some rows download, the others wait, and the panel shows a speed while bytes move.
    await expect
      .poll(() => statusOf(page, MODELS[0]!.name).catch(() => ''), { timeout: 30_000 })
      .toBe('downloading')
    await expect.poll(batchText, { timeout: 30_000 }).toMatch(/B\/s/)
    expect(await page.getByRole('row').filter({ hasText: 'queued' }).count()).toBeGreaterThan(0)
  })

  it('then shows 30 cancelled, no speed or ETA, and no bar on any row', async () => {
    await page.getByRole('button', { name: 'Cancel all' }).click()
    await page.getByRole('button', { name: 'Yes, cancel everything' }).click()

    await expect.poll(batchText, { timeout: 30_000 }).toContain('30 cancelled')
    const text = await batchText()
    expect(text).toContain('0 of 30 models done')
    expect(text).not.toMatch(/B\/s|ETA/)
    // Every row says cancelled, and none keeps a bar of its partial bytes.
    for (const m of MODELS) expect(await statusOf(page, m.name)).toBe('cancelled')
    expect(await page.getByRole('progressbar', { name: /\.safetensors progress$/ }).count()).toBe(0)
    expect(await page.getByRole('list', { name: 'Queued downloads' }).count()).toBe(0)

    // Still so a moment later: no late tick brings a speed back.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await batchText()).not.toMatch(/B\/s|ETA/)
    expect(await batchText()).toContain('30 cancelled')

    await mkdir(SCREENSHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'cancel-all-30.png') })
  })
})
