// URL models in the window (issue 22), in Debian's Chromium against `modeldl serve --ui`, a real worker,
// s3rver and the project's HTTPS look-alikes of Hugging Face and CivitAI (trusted through
// NODE_EXTRA_CA_CERTS, as a private CA would be): a workflow with one model in the S3 mirror and one
// only at its Hugging Face URL, both ticked and both landing through one "Download missing"; then one
// CivitAI URL typed in "Add URL…", looked up (name from Content-Disposition, size from the host) and
// downloaded; and a URL the service refuses, said in the dialog.
import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModelHostsServer, type ModelHostsServer } from '../support/model-hosts-server'
import { makeTempDir, removeTempDir } from '../support/temp'
import { makeTestCertificates } from '../support/tls-ca'
import { startUiSession, type UiSession } from './support/ui-session'

const MiB = 1024 * 1024
const SHOTS = '/tmp/shots-url'

let session: UiSession
let hosts: ModelHostsServer
let certDir: string
let page: Page

const hf = { repo: 'org/flux-loras', name: 'hf-detail.safetensors', size: 3 * MiB + 7 }
let hfFile: { sha256: string; url: string }

const row = (name: string) =>
  page.getByRole('table', { name: 'Models in the workflow' }).getByRole('row', { name, exact: true })
const stateOf = (name: string) =>
  row(name).locator('[data-workflow-state]').getAttribute('data-workflow-state')
const dialog = () => page.getByRole('dialog', { name: 'Download a model from its URL' })
const sha256Of = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
const shot = async (name: string) => {
  await mkdir(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

beforeAll(async () => {
  certDir = await makeTempDir('modeldl-e2e-certs-')
  const certs = makeTestCertificates(certDir)
  hosts = await startModelHostsServer(certs)
  const added = hosts.addHf(hf.repo, hf.name, hf.size)
  hfFile = { sha256: added.file.sha256, url: added.url }
  session = await startUiSession({
    objects: { 'mirror/vae/ae.safetensors': 5 * MiB + 3 },
    settings: { sourceUri: 's3://models/mirror/' },
    env: {
      NODE_EXTRA_CA_CERTS: certs.caFile,
      HF_ENDPOINT: hosts.origin,
      CIVITAI_BASE_URL: hosts.origin,
      CIVITAI_API_TOKEN: hosts.civitaiToken,
    },
  })
  page = await session.newPage()
}, 120_000)
afterAll(async () => {
  await session?.close()
  await hosts?.close()
  if (certDir) await removeTempDir(certDir)
})

describe('URL models in the window (serve --ui, s3rver, HTTPS model hosts, Chromium)', () => {
  it('a workflow with an S3 model and a URL-only one: both ticked, both land through Download missing', async () => {
    const workflow = {
      nodes: [
        { id: 1, type: 'VAELoader', widgets_values: ['ae.safetensors'] },
        { id: 2, type: 'LoraLoader', widgets_values: [hf.name, 1, 1] },
      ],
      models: [{ name: hf.name, directory: 'loras', url: `${hfFile.url}?download=true` }],
    }
    await page.getByRole('button', { name: 'Open workflow…' }).waitFor()
    await page.getByTestId('workflow-file-input').setInputFiles({
      name: 'mixed.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(workflow)),
    })
    await row(hf.name).waitFor()
    expect(await stateOf('ae.safetensors')).toBe('from S3')
    expect(await stateOf(hf.name)).toBe('from URL')
    expect(await row(hf.name).textContent()).toContain(`huggingface.co/${hf.repo}/resolve/main/${hf.name}`)
    expect(await row('ae.safetensors').getByRole('checkbox').isChecked()).toBe(true)
    expect(await row(hf.name).getByRole('checkbox').isChecked()).toBe(true)
    await page.mouse.move(640, 700)
    await shot('workflow-url-rows')

    await page.getByRole('button', { name: 'Download missing (2)' }).click()
    await expect.poll(() => stateOf('ae.safetensors'), { timeout: 60_000 }).toBe('installed')
    await expect.poll(() => stateOf(hf.name), { timeout: 60_000 }).toBe('installed')
    expect(await sha256Of(session.modelPath('loras', hf.name))).toBe(hfFile.sha256)
    // Its size, unknown to the workflow, is the one the service looked up.
    expect(await row(hf.name).textContent()).toContain('3.1 MB')
    expect(await sha256Of(session.modelPath('vae', 'ae.safetensors'))).toBe(
      session.objects['mirror/vae/ae.safetensors']!.sha256,
    )
    // The HF look-alike was asked for the size (HEAD), then for the bytes: by the service, never the page.
    expect(hosts.requests.some((r) => r.method === 'HEAD' && r.path.endsWith(hf.name))).toBe(true)
    await shot('workflow-url-downloaded')
    await page.getByRole('button', { name: 'Dismiss message' }).first().click()
  })

  it('Add URL: a CivitAI URL is looked up (name from Content-Disposition, size from the host) and downloaded', async () => {
    const civ = hosts.addCivitai(4321, 'detail_tweaker_xl.safetensors', 2 * MiB + 11)
    await page.getByRole('button', { name: 'Add URL…' }).click()
    await dialog().getByRole('textbox', { name: 'URL' }).fill(civ.url)
    await dialog().getByRole('combobox', { name: 'Folder under the models root' }).fill('sdxl/loras')
    await dialog().getByRole('textbox', { name: 'URL' }).press('Enter')
    const facts = dialog().getByLabel('What the host says')
    await facts.waitFor()
    expect(await facts.textContent()).toContain('detail_tweaker_xl.safetensors')
    expect(await facts.textContent()).toContain('2.1 MB')
    const target = session.modelPath('sdxl/loras', 'detail_tweaker_xl.safetensors')
    expect(await facts.textContent()).toContain(target)
    await shot('add-url-looked-up')

    await dialog().getByRole('button', { name: 'Download' }).click()
    await dialog().waitFor({ state: 'detached' })
    await expect.poll(() => sha256Of(target).catch(() => ''), { timeout: 60_000 }).toBe(civ.file.sha256)
  })

  it('Add URL: a URL the service refuses is said in the dialog; Escape closes it', async () => {
    await page.getByRole('button', { name: 'Add URL…' }).click()
    await dialog().getByRole('textbox', { name: 'URL' }).fill('http://example.com/models/x.safetensors')
    await dialog().getByRole('button', { name: 'Look up' }).click()
    const alert = dialog().getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toBe(
      'Only https URLs are downloaded; http://example.com/models/x.safetensors uses http:',
    )
    await shot('add-url-error')
    await page.keyboard.press('Escape')
    await dialog().waitFor({ state: 'detached' })
  })
})
