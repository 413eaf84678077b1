// Downloads that go wrong, as a user sees them in Debian's Chromium against `modeldl serve --ui`, with
// the real worker and s3rver behind the project's fault proxy (issue 21): a missing object fails with
// its reason readable in the row and in full in the details drawer, whose Retry fetches it once the
// object is there; a store that answers 503 makes the row say "retrying in N s (attempt k of n):
// reason" until the store recovers and the file lands. Also: the example config says it is one, the
// queued-toast leaves the queue panel visible, and Test connection gets past a failing listing.
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUiSession, type UiSession } from './support/ui-session'
import {
  modelRow,
  nestedConfig,
  objectKeys,
  openScreen,
  screenshot,
  statusOf,
  waitForStatus,
  type ModelObject,
} from './support/ui-helpers'

const MiB = 1024 * 1024
const PRESENT: ModelObject[] = [
  { group: 'checkpoints', name: 'sdxl_base_1.0.safetensors', size: 6 * MiB },
  { group: 'vae', name: 'sdxl_vae.safetensors', size: 3 * MiB },
]
/** In the config, not yet in the store: a permanent "Not found" until the test uploads it. */
const ABSENT: ModelObject = {
  group: 'loras',
  name: 'pixel_art_style_extremely_long_name_v2.safetensors',
  size: MiB + 7,
}
/** The store answers 503 for this one until the test lifts the fault. */
const FLAKY = PRESENT[1]!
const keyOf = (m: ModelObject) => `models/${m.group}/${m.name}`

let session: UiSession
let page: Page

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
/** The row's Transfer cell: the seventh of its cells, counting the path cell narrow tables hide. */
const transferCell = (name: string): Locator => modelRow(page, name).locator('[role="cell"]').nth(6)

beforeAll(async () => {
  session = await startUiSession({
    objects: objectKeys(PRESENT),
    settings: { bucket: 'models' },
    faultRules: [
      {
        match: { keyIncludes: FLAKY.name },
        fault: { kind: 'status', status: 503, code: 'ServiceUnavailable', message: 'Please slow down.' },
      },
      // As the demo's s3rver does with a truncated one-key listing.
      {
        match: { method: 'GET', queryIncludes: 'list-type=2' },
        fault: { kind: 'status', status: 500, code: 'InternalError', message: 'internal error' },
      },
    ],
  })
  page = await session.newPage({ width: 1280, height: 720 })
}, 120_000)

afterAll(async () => {
  await session?.close()
})

describe('failures and retries in the window', () => {
  it('says the sample config is an example whose objects are not on the store', async () => {
    await page.getByRole('button', { name: 'Try the sample config' }).click()
    const note = page.getByRole('note', { name: 'About the example config' })
    await expect
      .poll(() => note.innerText().catch(() => ''))
      .toContain('Example — objects are not on your store.')
    expect(await page.getByRole('region', { name: 'Model config' }).innerText()).toContain('Example config')
    // Loading it queued nothing.
    expect(await page.getByRole('list', { name: 'Queued downloads' }).count()).toBe(0)
    await screenshot(page, 'sample-example-light')
  })

  it('queues the missing models with a toast that leaves the queue panel in view', async () => {
    const file = `${session.work}/my-models.json`
    await writeFile(file, JSON.stringify(nestedConfig([...PRESENT, ABSENT]), null, 2))
    await page.getByLabel('Model config file').first().setInputFiles(file)
    const missing = page.getByRole('button', { name: 'Download missing (3)' })
    await missing.waitFor()
    await missing.click()
    const toast = page.getByText('Queued 3 models')
    await toast.waitFor()
    const [toastBox, panelBox] = await Promise.all([
      toast.boundingBox(),
      page.getByRole('complementary', { name: 'Download queue' }).boundingBox(),
    ])
    expect(toastBox!.x + toastBox!.width).toBeLessThanOrEqual(panelBox!.x)
    await screenshot(page, 'queued-toast-light')
  })

  it('shows a failure reason first in the row, with the whole message on hover', async () => {
    await waitForStatus(page, ABSENT.name, 'failed')
    const cell = transferCell(ABSENT.name)
    const text = await cell.innerText()
    expect(text).toMatch(/^Not found/)
    expect(await cell.getAttribute('title')).toBe(`Not found: s3://models/${keyOf(ABSENT)}`)
    // The row offers the way out, in words.
    const retry = modelRow(page, ABSENT.name).getByRole('button', {
      name: `Retry ${ABSENT.name}`,
      exact: true,
    })
    expect(await retry.innerText()).toBe('Retry')
  })

  it('says "retrying in N s (attempt k of n): reason" while the store answers 503', async () => {
    await waitForStatus(page, FLAKY.name, 'retrying', 60_000)
    const text = await transferCell(FLAKY.name).innerText()
    expect(text).toMatch(
      /^retrying (in \d+ s|now) \(attempt 2 of 4\): The server failed (HEAD|GET) of it \(503\)/,
    )
    await screenshot(page, 'retrying-light')
    // The store recovers: the next automatic attempt fetches the file.
    session.proxy!.clearRules()
    await waitForStatus(page, FLAKY.name, 'completed', 60_000)
    expect(sha256(await readFile(session.modelPath(FLAKY.group, FLAKY.name)))).toBe(
      session.objects[keyOf(FLAKY)]!.sha256,
    )
    expect(await statusOf(page, PRESENT[0]!.name)).toBe('completed')
  })

  it('shows the whole error in the details drawer, and its Retry fetches the model once it exists', async () => {
    await page.getByRole('button', { name: `Details for ${ABSENT.name}` }).click()
    const dialog = page.getByRole('dialog', { name: `Details: ${ABSENT.name}` })
    await dialog.waitFor()
    const error = dialog.locator('dt', { hasText: /^Error$/ }).locator('xpath=following-sibling::dd[1]')
    expect(await error.innerText()).toBe(`not_found: Not found: s3://models/${keyOf(ABSENT)}`)
    // Wrapped inside the drawer, not cut at its edge.
    const overflow = await error.evaluate((dd) => dd.scrollWidth - dd.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    const [errorBox, dialogBox] = await Promise.all([error.boundingBox(), dialog.boundingBox()])
    expect(errorBox!.x + errorBox!.width).toBeLessThanOrEqual(dialogBox!.x + dialogBox!.width)
    await screenshot(page, 'failed-details-light')

    const uploaded = await session.s3.putRandom(keyOf(ABSENT), ABSENT.size)
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click()
    await expect
      .poll(() => dialog.innerText(), { timeout: 60_000, interval: 100 })
      .toMatch(/Status\s+completed/)
    expect(await dialog.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0)
    expect(sha256(await readFile(session.modelPath(ABSENT.group, ABSENT.name)))).toBe(uploaded.sha256)
    await page.keyboard.press('Escape')
    await waitForStatus(page, ABSENT.name, 'completed')
  })

  it('tests the connection past a listing the store fails: the bucket is there', async () => {
    session.proxy!.setRules([
      {
        match: { method: 'GET', queryIncludes: 'list-type=2' },
        fault: { kind: 'status', status: 500, code: 'InternalError', message: 'internal error' },
      },
    ])
    await openScreen(page, 'Settings')
    await page.getByRole('button', { name: 'Test connection' }).click()
    const result = page.getByText(/^Connection (works|failed)/)
    await result.waitFor({ timeout: 30_000 })
    const text = await result.innerText()
    expect(text).toMatch(/^Connection works/)
    expect(text).toContain('the bucket "models" is there')
    expect(text).not.toMatch(/try again later/i)
    await screenshot(page, 'test-connection-light')
    await openScreen(page, 'Downloads')
  })
})
