// A window on a pod that shares its volume with another (issue 19), in Debian's Chromium against
// `modeldl serve --ui`: while another pod's `download missing --wait` holds the claim on a checkpoint,
// "Download missing" in this window follows it: the row says "by pod-1" (its tooltip: being fetched by pod-1), the details
// drawer names the machine, and the row completes, verified, when the file lands, served once.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startUiSession, type UiSession } from './support/ui-session'
import { modelRow, nestedConfig, objectKeys, screenshot, waitForStatus } from './support/ui-helpers'

const MiB = 1024 * 1024
const MODELS = [{ group: 'checkpoints', name: 'sdxl_base.safetensors', size: 12 * MiB + 7 }]
const NAME = MODELS[0]!.name

let session: UiSession
let page: Page
let otherPod: ChildProcess | undefined

beforeAll(async () => {
  session = await startUiSession({
    objects: objectKeys(MODELS),
    config: () => nestedConfig(MODELS),
    loadConfigAtStart: true,
    faultRules: [],
    env: { MODELDL_HOST_NAME: 'pod-window' },
  })
  page = await session.newPage()
})

afterAll(async () => {
  otherPod?.kill('SIGKILL')
  await session?.close()
})

describe('a window following another pod', () => {
  it('shows "being fetched by pod-1", then the file landed and verified, fetched once', async () => {
    const home = join(session.work, 'pod-1')
    await mkdir(home)
    await writeFile(join(home, 'settings.json'), JSON.stringify({ bandwidthLimitBps: 2 * MiB }))
    otherPod = spawn(
      process.execPath,
      [CLI_BIN, 'download', 'missing', '--config', join(session.work, 'config.json'), '--wait'],
      {
        env: {
          PATH: process.env['PATH'],
          HOME: session.work,
          ...session.s3.envFor(session.proxy!.url),
          NETWORK_VOLUME: session.nv,
          AWS_BUCKET_NAME: 'models',
          MODELDL_HOME: home,
          MODELDL_HOST_NAME: 'pod-1',
        },
        stdio: 'ignore',
      },
    )
    const exited = new Promise<number | null>((resolve) => otherPod!.once('close', resolve))
    const target = session.modelPath('checkpoints', NAME)
    await expect
      .poll(() => readFile(`${target}.modeldl-claim/owner.json`, 'utf8').catch(() => ''), { timeout: 20_000 })
      .toContain('"host":"pod-1"')

    await page.getByRole('button', { name: /Download missing/ }).click()
    const row = modelRow(page, NAME)
    await expect
      .poll(() => row.innerText(), { timeout: 10_000 })
      .toMatch(/by pod-1 · [\d.]+( kB| MB)? \/ 12\.6 MB/)
    expect(
      await row.locator('[title^="Being fetched by pod-1, another machine on this volume"]').count(),
    ).toBe(1)
    await screenshot(page, 'shared-volume-following')
    await page.getByRole('button', { name: `Details for ${NAME}` }).click()
    const drawer = page.getByRole('dialog', { name: `Details: ${NAME}` })
    await expect
      .poll(() => drawer.innerText())
      .toMatch(/Fetched by\s+pod-1 \(another machine on this volume\)/)
    await screenshot(page, 'shared-volume-following-details')
    await page.keyboard.press('Escape')

    await waitForStatus(page, NAME, 'completed', 30_000)
    expect(await exited).toBe(0)
    const served = session.proxy!.totalBodyBytes(
      (r) => r.method === 'GET' && r.path.includes(NAME) && (r.status === 200 || r.status === 206),
    )
    expect(served).toBe(MODELS[0]!.size)
    const body = await readFile(target)
    expect(body.equals(session.objects[`models/checkpoints/${NAME}`]!.body)).toBe(true)
    await screenshot(page, 'shared-volume-landed')
  }, 90_000)
})
