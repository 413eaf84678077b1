// The downloads window as a user drives it, in Debian's Chromium against `modeldl serve --ui` with a
// real worker and s3rver: open a config in the old nested format, read the groups, pick two models and
// watch them land, slow the transfers down in Settings, pause and resume one, cancel another mid-way,
// and filter. Only the transport differs from the desktop app (a WebSocket instead of Electron IPC).
import { createHash } from 'node:crypto'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUiSession, type UiSession } from './support/ui-session'
import {
  exists,
  groupHeading,
  modelRow,
  nestedConfig,
  objectKeys,
  openScreen,
  progressOf,
  screenshot,
  statusOf,
  waitForProgress,
  waitForStatus,
  type ModelObject,
} from './support/ui-helpers'

const MiB = 1024 * 1024
const MODELS: ModelObject[] = [
  { group: 'checkpoints', name: 'sdxl_base_1.0.safetensors', size: 24 * MiB },
  { group: 'checkpoints', name: 'juggernaut_xl_v9.safetensors', size: 48 * MiB },
  { group: 'loras', name: 'detail_tweaker_xl.safetensors', size: 6 * MiB },
  { group: 'loras', name: 'film_grain_style.safetensors', size: 5 * MiB + 17 },
  { group: 'loras', name: 'add_more_details.safetensors', size: 40 * MiB },
  { group: 'vae', name: 'sdxl_vae.safetensors', size: 3 * MiB },
]
const byName = (name: string) => MODELS.find((m) => m.name === name)!
const [BASE, JUGGERNAUT, DETAIL, GRAIN, MORE, VAE] = MODELS.map((m) => m.name) as [
  string,
  string,
  string,
  string,
  string,
  string,
]

let session: UiSession
let page: Page

const localPath = (name: string) => session.modelPath(byName(name).group, name)
const sha256Of = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
const seededSha = (name: string) => session.objects[`models/${byName(name).group}/${name}`]!.sha256

beforeAll(async () => {
  session = await startUiSession({ objects: objectKeys(MODELS) })
  // One model is already on disk (copied in by hand): the window must say installed, not missing.
  const vae = localPath(VAE)
  await mkdir(dirname(vae), { recursive: true })
  await writeFile(vae, session.objects[`models/vae/${VAE}`]!.body)
  page = await session.newPage()
}, 120_000)

afterAll(async () => {
  await session?.close()
})

describe('the downloads window', () => {
  it('starts empty and says how to begin', async () => {
    await expect
      .poll(() => page.getByRole('heading', { name: 'No model config loaded' }).isVisible())
      .toBe(true)
    await expect
      .poll(() => page.getByRole('button', { name: 'Try the sample config' }).isVisible())
      .toBe(true)
    await screenshot(page, 'empty-light')
  })

  it('rejects a config with bad entries, naming each entry and field, and loads nothing from it', async () => {
    const file = `${session.work}/broken.json`
    const config = nestedConfig(MODELS)
    const lora = config['loras']!['detail_tweaker_xl'] as Record<string, unknown>
    lora['modelSize'] = 'six megabytes'
    const vae = config['vae']!['sdxl_vae'] as Record<string, unknown>
    vae['localPath'] = '/etc/cron.d/sdxl_vae.safetensors'
    await writeFile(file, JSON.stringify(config))
    await page.getByLabel('Model config file').first().setInputFiles(file)
    const problems = page.getByRole('list', { name: 'Config problems' })
    await expect.poll(() => problems.innerText().catch(() => '')).toContain('loras/detail_tweaker_xl')
    const text = await problems.innerText()
    expect(text).toMatch(/loras\/detail_tweaker_xl\s+modelSize/)
    expect(text).toMatch(/vae\/sdxl_vae\s+localPath/)
    expect(await page.getByRole('region', { name: 'Model config' }).innerText()).toContain(
      'The config was not loaded.',
    )
    // Nothing from it: still the empty state, no table.
    expect(await page.getByRole('table').count()).toBe(0)
    await screenshot(page, 'config-problems-light')
    await page.getByRole('button', { name: 'Dismiss config problems' }).click()
  })

  it('opens a config in the old nested format and shows its groups with their missing counts', async () => {
    const file = `${session.work}/my-models.json`
    await writeFile(file, JSON.stringify(nestedConfig(MODELS), null, 2))
    // A browser cannot hand over a path: the file's text goes to the service.
    await page.getByLabel('Model config file').first().setInputFiles(file)

    await expect.poll(() => groupHeading(page, 'loras').innerText()).toContain('3 models · 3 missing')
    expect(await groupHeading(page, 'checkpoints').innerText()).toContain('2 models · 2 missing')
    const vaeHeading = await groupHeading(page, 'vae').innerText()
    expect(vaeHeading).toContain('1 model · 0 missing')
    expect(vaeHeading).toContain('1 installed')
    expect(await statusOf(page, VAE)).toBe('installed')
    expect(await statusOf(page, BASE)).toBe('missing')
    expect(await page.getByRole('region', { name: 'Model config' }).innerText()).toContain('my-models.json')
    await expect
      .poll(() => page.getByRole('button', { name: /Download missing/ }).innerText())
      .toContain('(5)')
    await screenshot(page, 'config-light')
  })

  it('downloads two selected models: both bars reach 100% and the files are the objects', async () => {
    await page.getByRole('checkbox', { name: `Select ${DETAIL}` }).check()
    await page.getByRole('checkbox', { name: `Select ${BASE}` }).check()
    await page.getByRole('button', { name: /^Download selected/ }).click()

    for (const name of [DETAIL, BASE]) {
      await waitForStatus(page, name, 'completed')
      expect(await progressOf(page, name)).toBe(100)
      expect(await sha256Of(localPath(name))).toBe(seededSha(name))
    }
    // The others were not touched.
    expect(await statusOf(page, GRAIN)).toBe('missing')
    expect(await exists(localPath(GRAIN))).toBe(false)
    await expect.poll(() => groupHeading(page, 'loras').innerText()).toContain('3 models · 2 missing')
  })

  it('changes a setting: a bandwidth limit that the running service applies', async () => {
    await openScreen(page, 'Settings')
    const limit = page.getByLabel('Bandwidth limit (MB/s)')
    await limit.fill('abc')
    await limit.blur()
    // Checked as typed, with the field named.
    await expect
      .poll(() => page.getByRole('form', { name: 'Settings' }).innerText())
      .toMatch(/must be|number/i)
    await limit.fill('3')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect.poll(() => page.getByText('Saved.').isVisible()).toBe(true)
    const file = JSON.parse(await readFile(`${session.home}/settings.json`, 'utf8')) as Record<
      string,
      unknown
    >
    expect(file['bandwidthLimitBps']).toBe(3_000_000)
    await screenshot(page, 'settings-light')
    await openScreen(page, 'Downloads')
  })

  it('pauses and resumes one model, and cancels another mid-transfer leaving no file behind', async () => {
    await page.getByRole('button', { name: `Download ${MORE}`, exact: true }).click()
    await page.getByRole('button', { name: `Download ${JUGGERNAUT}`, exact: true }).click()
    await waitForProgress(page, MORE, 5)
    await waitForProgress(page, JUGGERNAUT, 3)
    await screenshot(page, 'downloading-light')

    // Pause: the partial file stays for the resume.
    await page.getByRole('button', { name: `Pause ${MORE}`, exact: true }).click()
    await waitForStatus(page, MORE, 'paused')
    const pausedAt = await progressOf(page, MORE)
    expect(pausedAt).toBeGreaterThan(0)
    expect(await exists(`${localPath(MORE)}.part`)).toBe(true)
    expect(await exists(localPath(MORE))).toBe(false)

    // Cancel mid-transfer: it says cancelled and nothing is left at the path or beside it.
    expect(await statusOf(page, JUGGERNAUT)).toBe('downloading')
    await page.getByRole('button', { name: `Cancel ${JUGGERNAUT}`, exact: true }).click()
    await waitForStatus(page, JUGGERNAUT, 'cancelled', 10_000)
    await expect.poll(() => exists(`${localPath(JUGGERNAUT)}.part`), { timeout: 10_000 }).toBe(false)
    expect(await exists(localPath(JUGGERNAUT))).toBe(false)
    expect(await exists(`${localPath(JUGGERNAUT)}.part.json`)).toBe(false)
    // It can be fetched again later: the row offers it.
    expect(await page.getByRole('button', { name: `Download ${JUGGERNAUT}`, exact: true }).isVisible()).toBe(
      true,
    )

    // Lift the limit (the running service takes it at once), then resume: it continues from where it was.
    await openScreen(page, 'Settings')
    await page.getByLabel('Bandwidth limit (MB/s)').fill('0')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect.poll(() => page.getByText('Saved.').isVisible()).toBe(true)
    await openScreen(page, 'Downloads')
    expect(await progressOf(page, MORE)).toBe(pausedAt)
    await page.getByRole('button', { name: `Resume ${MORE}`, exact: true }).click()
    await waitForStatus(page, MORE, 'completed')
    expect(await sha256Of(localPath(MORE))).toBe(seededSha(MORE))
    expect(await exists(`${localPath(MORE)}.part`)).toBe(false)
  })

  it('filters by text and by status', async () => {
    const filter = page.getByRole('searchbox', { name: 'Filter models' })
    await filter.fill('xl')
    await expect.poll(() => modelRow(page, GRAIN).count()).toBe(0)
    for (const name of [BASE, JUGGERNAUT, DETAIL]) expect(await modelRow(page, name).count()).toBe(1)
    // The group heading says how many of its models the filter shows.
    expect(await groupHeading(page, 'loras').innerText()).toContain('1 shown')

    await filter.fill('')
    await page.getByRole('combobox', { name: 'Status filter' }).selectOption('completed')
    await expect.poll(() => modelRow(page, GRAIN).count()).toBe(0)
    for (const name of [BASE, DETAIL, MORE]) expect(await modelRow(page, name).count()).toBe(1)
    expect(await modelRow(page, JUGGERNAUT).count()).toBe(0)
    await page.getByRole('combobox', { name: 'Status filter' }).selectOption('all')
    await expect.poll(() => modelRow(page, GRAIN).count()).toBe(1)
    await screenshot(page, 'done-light')
  })

  it('shows the same state in a dark window opened beside it', async () => {
    const dark = await session.newPage({ colorScheme: 'dark' })
    await expect.poll(() => statusOf(dark, MORE).catch(() => '')).toBe('completed')
    expect(await statusOf(dark, JUGGERNAUT)).toBe('cancelled')
    expect(await dark.locator('html').getAttribute('class')).toContain('dark')
    await screenshot(dark, 'done-dark')
    await dark.getByRole('button', { name: `Details for ${MORE}` }).click()
    await expect.poll(() => dark.getByRole('dialog').innerText()).toContain(MORE)
    const details = await dark.getByRole('dialog').innerText()
    // The object it was verified against: s3rver's ETag of a single-part upload is the MD5 of the bytes.
    expect(details).toContain(session.objects[`models/loras/${MORE}`]!.etag.replaceAll('"', ''))
    expect(details).toMatch(/Verified by\s+MD5 ETag/)
    expect(details).not.toContain('Phase')
    await screenshot(dark, 'details-dark')
    const narrow = await session.newPage({ width: 900, height: 800 })
    await expect.poll(() => statusOf(narrow, MORE).catch(() => '')).toBe('completed')
    await screenshot(narrow, 'narrow-light')
  })
})
