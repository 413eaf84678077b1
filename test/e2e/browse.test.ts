// Browsing an S3 source in the window, in Debian's Chromium against `modeldl serve --ui` with a real
// worker and s3rver: scan a prefix, see its folders and what this machine already has, pick two
// missing models, download them and see them installed in both views, save the listing as a config
// that the config loader reads back, and get an explanation when a source cannot be listed.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModelConfigFile } from '../../src/core/config'
import { startUiSession, type UiSession } from './support/ui-session'
import {
  exists,
  groupHeading,
  modelRow,
  openScreen,
  screenshot,
  statusOf,
  waitForStatus,
  type ModelObject,
} from './support/ui-helpers'

const MiB = 1024 * 1024
const SOURCE: Array<ModelObject & { folder: string }> = [
  { folder: 'checkpoints', group: 'checkpoints', name: 'flux1-schnell.safetensors', size: 9 * MiB },
  { folder: 'checkpoints', group: 'checkpoints', name: 'sd3.5_medium.safetensors', size: 7 * MiB },
  { folder: 'loras/sdxl', group: 'loras', name: 'pixel_art_xl.safetensors', size: 3 * MiB },
  { folder: 'loras/sdxl', group: 'loras', name: 'watercolor_xl.safetensors', size: 4 * MiB },
  { folder: 'loras/flux', group: 'loras', name: 'realism_flux.safetensors', size: 2 * MiB },
  { folder: 'vae', group: 'vae', name: 'ae.safetensors', size: 1 * MiB + 5 },
]
const [SCHNELL, SD35, PIXEL, WATERCOLOR, REALISM, AE] = SOURCE.map((m) => m.name) as [
  string,
  string,
  string,
  string,
  string,
  string,
]
const keyOf = (name: string) => {
  const m = SOURCE.find((x) => x.name === name)!
  return `models/${m.folder}/${name}`
}

let session: UiSession
let page: Page
const pathOf = (name: string) => join(session.nv, 'ComfyUI/models', keyOf(name).slice('models/'.length))

beforeAll(async () => {
  const objects: Record<string, number> = Object.fromEntries(SOURCE.map((m) => [keyOf(m.name), m.size]))
  objects['models/vae/README.txt'] = 120 // not a model file type: listed, not shown
  session = await startUiSession({ objects })
  // What this machine has already: one complete model, one of another size, one half-downloaded.
  const put = async (path: string, body: Buffer) => {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, body)
  }
  await put(pathOf(AE), session.objects[keyOf(AE)]!.body)
  await put(pathOf(SD35), Buffer.alloc(1000))
  await put(`${pathOf(WATERCOLOR)}.part`, Buffer.alloc(MiB))
  page = await session.newPage()
}, 120_000)

afterAll(async () => {
  await session?.close()
})

describe('browsing an S3 source', () => {
  it('loads a config naming two of the source models, so both views can be compared later', async () => {
    const file = join(session.work, 'picked.json')
    const config: Record<string, Record<string, unknown>> = {}
    for (const m of SOURCE.filter((x) => x.name === SCHNELL || x.name === PIXEL)) {
      config[m.group] = {
        [m.name]: {
          originalS3Path: keyOf(m.name),
          localPath: `{{NETWORK_VOLUME}}/ComfyUI/${keyOf(m.name)}`,
          modelName: m.name,
          modelSize: m.size,
          directoryGroup: m.group,
        },
      }
    }
    await writeFile(file, JSON.stringify(config))
    await page.getByLabel('Model config file').first().setInputFiles(file)
    await expect.poll(() => groupHeading(page, 'loras').innerText()).toContain('1 model · 1 missing')
  })

  it('scans the prefix: folders first, then models grouped the ComfyUI way with their local state', async () => {
    await openScreen(page, 'Browse source')
    await page.getByLabel('Source', { exact: true }).fill('s3://models/models/')
    await page.getByRole('button', { name: 'Scan', exact: true }).click()
    await expect
      .poll(() => page.getByRole('status').first().innerText())
      .toMatch(/7 objects listed · 6 models in 3 groups/)

    const tree = page.getByRole('navigation', { name: 'Folders' })
    for (const folder of ['checkpoints', 'loras', 'vae']) {
      expect(await tree.getByRole('button', { name: new RegExp(`^${folder}\\b`) }).count()).toBe(1)
    }
    expect(await groupHeading(page, 'loras').innerText()).toContain('3 models · 3 missing')
    expect(await statusOf(page, AE)).toBe('installed')
    expect(await statusOf(page, SD35)).toBe('missing')
    expect(await modelRow(page, SD35).innerText()).toContain('different size')
    expect(await modelRow(page, WATERCOLOR).innerText()).toContain('resumable')
    expect(await modelRow(page, 'README.txt').count()).toBe(0)
    // The mapping rule is on screen, with the models root it maps into.
    expect(await page.getByText(`${session.nv}/ComfyUI/models/<folder>/…/<file>`).isVisible()).toBe(true)
    await screenshot(page, 'browse-light')
  })

  it('narrows the table to a folder picked in the tree, and back', async () => {
    const tree = page.getByRole('navigation', { name: 'Folders' })
    await tree.getByRole('button', { name: /^loras\b/ }).click()
    await expect.poll(() => modelRow(page, SCHNELL).count()).toBe(0)
    expect(await modelRow(page, PIXEL).count()).toBe(1)
    // Its subfolders open under it.
    await tree.getByRole('button', { name: /^flux\b/ }).click()
    await expect.poll(() => modelRow(page, PIXEL).count()).toBe(0)
    expect(await modelRow(page, REALISM).count()).toBe(1)
    expect(await tree.getByRole('button', { name: /^flux\b/ }).getAttribute('aria-current')).toBe('true')
    await tree.getByRole('button', { name: /^All folders/ }).click()
    await expect.poll(() => modelRow(page, SCHNELL).count()).toBe(1)
  })

  it('downloads two missing models picked here; both views then show them on disk', async () => {
    await page.getByRole('checkbox', { name: `Select ${SCHNELL}` }).check()
    await page.getByRole('checkbox', { name: `Select ${PIXEL}` }).check()
    await page.getByRole('button', { name: /^Download selected/ }).click()
    for (const name of [SCHNELL, PIXEL]) {
      await waitForStatus(page, name, 'completed')
      const bytes = await readFile(pathOf(name))
      expect(bytes.equals(session.objects[keyOf(name)]!.body)).toBe(true)
    }
    expect(await statusOf(page, REALISM)).toBe('missing')

    await openScreen(page, 'Downloads')
    await waitForStatus(page, SCHNELL, 'completed', 10_000)
    await waitForStatus(page, PIXEL, 'completed', 10_000)
    expect(await groupHeading(page, 'loras').innerText()).toContain('1 model · 0 missing')
    await openScreen(page, 'Browse source')
  })

  it('notices a model deleted by hand (the models folder is watched) in both views', async () => {
    await rm(pathOf(PIXEL))
    await waitForStatus(page, PIXEL, 'missing', 15_000)
    await openScreen(page, 'Downloads')
    await waitForStatus(page, PIXEL, 'missing', 5_000)
    expect(await groupHeading(page, 'loras').innerText()).toContain('1 model · 1 missing')
    await openScreen(page, 'Browse source')
  })

  it('saves everything listed as a config in the old nested format that the loader reads back', async () => {
    // Downloading the selection cleared it: saving now takes everything listed.
    expect(await page.getByRole('button', { name: /^Download selected/ }).isDisabled()).toBe(true)
    await page.getByRole('button', { name: 'Save as config' }).click()
    // The service saves only where configs may be: here, the models root.
    const target = join(session.nv, 'ComfyUI', 'models', 'from-source.json')
    const form = page.getByRole('form', { name: 'Save as config' })
    await form.getByRole('textbox').fill('relative.json')
    await form.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => form.innerText()).toContain('must be an absolute path')
    await form.getByRole('textbox').fill(target)
    await form.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => exists(target)).toBe(true)

    const text = await readFile(target, 'utf8')
    // The models root sits under NETWORK_VOLUME: the file says so, to travel to other machines.
    expect(text).toContain('{{NETWORK_VOLUME}}/ComfyUI/models/loras/sdxl/pixel_art_xl.safetensors')
    const parsed = await loadModelConfigFile(target, {
      networkVolume: session.nv,
      modelsRoots: [join(session.nv, 'ComfyUI/models')],
    })
    expect(parsed.format).toBe('nested')
    expect(
      parsed.entries
        .map((e) => [e.localPath, e.s3Uri, e.expectedSize])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual(
      SOURCE.map((m) => [pathOf(m.name), `s3://models/${keyOf(m.name)}`, m.size]).sort((a, b) =>
        String(a[0]).localeCompare(String(b[0])),
      ),
    )
  })

  it('explains a source that cannot be listed and offers a config file instead', async () => {
    await page.getByLabel('Source', { exact: true }).fill('s3://no-such-bucket/models/')
    await page.getByRole('button', { name: 'Scan', exact: true }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'Could not list' })
    await expect
      .poll(() => alert.innerText().catch(() => ''))
      .toContain('Could not list s3://no-such-bucket/models/')
    expect(await alert.innerText()).toMatch(/no such bucket/i)
    expect(await alert.getByRole('button', { name: 'Load a config instead…' }).isVisible()).toBe(true)
  })

  it('looks right in a dark window too', async () => {
    const dark = await session.newPage({ colorScheme: 'dark' })
    await openScreen(dark, 'Browse source')
    await dark.getByLabel('Source', { exact: true }).fill('s3://models/models/')
    await dark.getByRole('button', { name: 'Scan', exact: true }).click()
    await waitForStatus(dark, SCHNELL, 'completed', 10_000)
    await dark
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('button', { name: /^loras\b/ })
      .click()
    await screenshot(dark, 'browse-dark')
  })
})
