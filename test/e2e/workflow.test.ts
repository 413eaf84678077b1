// A ComfyUI workflow in the window (issue 22), in Debian's Chromium against `modeldl serve --ui`, a
// real worker and s3rver: the editor's JSON picked through the file input, the states the CLI would
// print, Download missing landing the S3 ones on disk (the URL ones: url-download.test.ts); a PNG
// carrying the workflow dropped on the window; and files that are no workflow at all (70 MiB, a model
// list, a PNG without the chunk) answered with what is wrong, in the window.
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pngWithText } from '../support/png-file'
import { screenshot } from './support/ui-helpers'
import { startUiSession, type UiSession } from './support/ui-session'

const MiB = 1024 * 1024
const FLUX = join(import.meta.dirname, '../fixtures/workflows/flux-template.json')
const MIRROR = {
  'mirror/vae/ae.safetensors': 8 * MiB + 5,
  'mirror/loras/flux/detail.safetensors': 2 * MiB,
  'mirror/text_encoders/clip_l.safetensors': MiB,
}

let session: UiSession
let page: Page

const row = (name: string) =>
  page.getByRole('table', { name: 'Models in the workflow' }).getByRole('row', { name, exact: true })
const stateOf = (name: string) =>
  row(name).locator('[data-workflow-state]').getAttribute('data-workflow-state')
const workflowAlert = () => page.getByRole('region', { name: 'Workflow' }).getByRole('alert')
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')

async function pick(file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.getByTestId('workflow-file-input').setInputFiles(file)
}

// What the page's side of page.evaluate uses: the node tsconfig has no DOM lib, and a lib reference
// would give every Node file of the program browser globals.
declare const window: { dispatchEvent(event: unknown): boolean }
declare class DataTransfer {
  readonly items: { add(file: File): void }
}
declare class DragEvent {
  constructor(type: string, init: { dataTransfer: DataTransfer; bubbles: boolean; cancelable: boolean })
}

/** Drag events over the window, carrying one file, as the browser makes them for a file from the desktop. */
async function dragOnWindow(kinds: string[], name: string, type: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    ({ kinds, name, type, base64 }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const transfer = new DataTransfer()
      transfer.items.add(new File([data], name, { type }))
      for (const kind of kinds)
        window.dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }))
    },
    { kinds, name, type, base64: bytes.toString('base64') },
  )
}

const drop = (name: string, type: string, bytes: Buffer) =>
  dragOnWindow(['dragenter', 'dragover', 'drop'], name, type, bytes)

beforeAll(async () => {
  session = await startUiSession({ objects: MIRROR, settings: { sourceUri: 's3://models/mirror/' } })
  // One model is installed already: the very bytes of the mirror's object.
  const clip = session.modelPath('text_encoders', 'clip_l.safetensors')
  await mkdir(dirname(clip), { recursive: true })
  await writeFile(clip, await session.s3.get('mirror/text_encoders/clip_l.safetensors'))
  page = await session.newPage()
}, 120_000)
afterAll(async () => session?.close())

describe('a ComfyUI workflow in the window (serve --ui, s3rver, Chromium)', () => {
  it('opens the editor JSON from the file input and shows what the CLI shows', async () => {
    await page.getByRole('button', { name: 'Open workflow…' }).waitFor()
    await pick(FLUX)
    await row('ae.safetensors').waitFor()
    expect(await stateOf('ae.safetensors')).toBe('from S3')
    expect(await stateOf('flux/detail.safetensors')).toBe('from S3')
    expect(await stateOf('clip_l.safetensors')).toBe('installed')
    expect(await stateOf('t5xxl_fp16.safetensors')).toBe('from URL')
    expect(await stateOf('4x-UltraSharp.pth')).toBe('not found')
    expect(await stateOf('adapters/fancy-v2.gguf')).toBe('unknown folder')
    expect(await row('ae.safetensors').textContent()).toContain('vae/ae.safetensors')
    expect(await row('ae.safetensors').textContent()).toContain('8.4 MB')
    expect(await row('ae.safetensors').getByRole('checkbox').isChecked()).toBe(true)
    expect(await row('t5xxl_fp16.safetensors').getByRole('checkbox').isChecked()).toBe(true)
    expect(await page.getByRole('button', { name: 'Download missing (4)' }).isVisible()).toBe(true)
    await screenshot(page, 'workflow-open-light')
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, 'workflow-open-dark')
    await page.emulateMedia({ colorScheme: 'light' })
  })

  it('Download missing queues the S3 ones; they land verified and their rows say installed', async () => {
    // URL rows are ticked too (test/e2e/url-download.test.ts fetches them); this session has no
    // Hugging Face to ask, so they are unticked here and the S3 ones go alone.
    await row('t5xxl_fp16.safetensors').getByRole('checkbox').uncheck()
    await row('flux1-dev.safetensors').getByRole('checkbox').uncheck()
    await page.getByRole('button', { name: 'Download missing (2)' }).click()
    await expect.poll(() => stateOf('ae.safetensors'), { timeout: 60_000 }).toBe('installed')
    await expect.poll(() => stateOf('flux/detail.safetensors'), { timeout: 60_000 }).toBe('installed')
    expect(await sha256(session.modelPath('vae', 'ae.safetensors'))).toBe(
      session.objects['mirror/vae/ae.safetensors']!.sha256,
    )
    expect(await sha256(session.modelPath('loras', 'flux/detail.safetensors'))).toBe(
      session.objects['mirror/loras/flux/detail.safetensors']!.sha256,
    )
    // The queue panel tells the same story as the rows.
    await page.getByRole('button', { name: 'Download missing (0)' }).waitFor()
    await screenshot(page, 'workflow-downloaded-light')
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, 'workflow-downloaded-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    // The toast has said its piece: later pictures show the workflow alone.
    await page.getByRole('button', { name: 'Dismiss message' }).click()
  })

  it('opens a PNG carrying the workflow, dropped on the window', async () => {
    await page.getByRole('button', { name: 'Close the workflow' }).click()
    const png = pngWithText([{ type: 'tEXt', keyword: 'workflow', text: await readFile(FLUX, 'latin1') }])
    // The overlay while a file is held over the window.
    await dragOnWindow(['dragenter'], 'render.png', 'image/png', png)
    await page
      .getByText('Drop a model config (.json) or a ComfyUI workflow (.json, .png) to open it')
      .waitFor()
    await screenshot(page, 'workflow-drop-light')
    await drop('render.png', 'image/png', png)
    await page.getByText('PNG, workflow chunk').waitFor()
    expect(await page.getByRole('region', { name: 'Workflow' }).textContent()).toContain('render.png')
    // What was downloaded a moment ago is on disk now: found there, not offered again.
    expect(await stateOf('ae.safetensors')).toBe('installed')
    expect(await stateOf('4x-UltraSharp.pth')).toBe('not found')
  })

  it.each([
    [
      'a 70 MiB file',
      async () => {
        const path = join(session.work, 'huge.png')
        await writeFile(path, Buffer.alloc(70 * MiB))
        await pick(path)
      },
      'huge.png is too large (70.0 MiB): a workflow file may be at most 64 MiB',
    ],
    [
      'a JSON that is no workflow',
      () => pick({ name: 'list.json', mimeType: 'application/json', buffer: Buffer.from('{"a": [1, 2]}') }),
      'list.json: JSON, but not a ComfyUI workflow',
    ],
    [
      'a PNG without the chunk',
      () =>
        drop('photo.png', 'image/png', pngWithText([{ type: 'tEXt', keyword: 'Software', text: 'GIMP' }])),
      'photo.png: a PNG without a ComfyUI workflow',
    ],
  ])('answers %s with what is wrong, in the window', async (what, open, message) => {
    await open()
    // The previous case's alert stands until this file is read: wait for this one's own words.
    await workflowAlert().filter({ hasText: message }).waitFor()
    expect(await workflowAlert().count()).toBe(1)
    if (what === 'a JSON that is no workflow') {
      await page.mouse.move(400, 600) // no button left hovered in the picture
      await screenshot(page, 'workflow-error-light')
      await page.emulateMedia({ colorScheme: 'dark' })
      await screenshot(page, 'workflow-error-dark')
      await page.emulateMedia({ colorScheme: 'light' })
    }
  })
})
