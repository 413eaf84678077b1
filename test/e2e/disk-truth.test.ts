// The disk is the truth (issue 18), in Debian's Chromium against `modeldl serve --ui`: three models
// downloaded by the CLI, then one deleted and one truncated while no owner ran. The window opened
// afterwards must show them missing at first paint (the truncated one as "different size"), the
// group must count them, and "Download missing" must offer exactly those two; the queue itself must
// have forgotten the completed records whose files are gone.
import { execFile } from 'node:child_process'
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelRecord } from '../../src/shared/service-contract'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { startServe, type ServeProcess } from '../support/serve-process'
import { makeTempDir, removeTempDir } from '../support/temp'
import { CHROMIUM } from './support/ui-session'
import { groupHeading, modelRow, nestedConfig, objectKeys, screenshot, statusOf } from './support/ui-helpers'

const run = promisify(execFile)
const MiB = 1024 * 1024
const KEPT = 'kept_vae.safetensors'
const DELETED = 'deleted_vae.safetensors'
const TRUNCATED = 'truncated_vae.safetensors'
const MODELS = [
  { group: 'vae', name: KEPT, size: MiB + 1 },
  { group: 'vae', name: DELETED, size: MiB + 2 },
  { group: 'vae', name: TRUNCATED, size: MiB + 3 },
]

let s3: TestS3Server
let serve: ServeProcess | undefined
let browser: Browser
let page: Page
let work: string
let env: NodeJS.ProcessEnv
let config: string
let nv: string

const pathOf = (name: string): string => join(nv, 'ComfyUI', 'models', 'vae', name)

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  for (const [key, size] of Object.entries(objectKeys(MODELS))) await s3.putRandom(key, size)
  work = await makeTempDir('modeldl-e2e-disk-truth-')
  nv = join(work, 'volume')
  await mkdir(nv)
  config = join(work, 'models.json')
  await writeFile(config, JSON.stringify(nestedConfig(MODELS)))
  env = {
    PATH: process.env['PATH'],
    HOME: work,
    ...s3.envFor(s3.endpoint),
    NETWORK_VOLUME: nv,
    AWS_BUCKET_NAME: 'models',
    MODELDL_HOME: join(work, 'home'),
  }
  // Downloaded by the CLI, which owns the queue only while it runs.
  await run(process.execPath, [CLI_BIN, 'download', 'all', '--config', config, '--wait'], { env })
  // While no owner runs: one file deleted, one cut short.
  await rm(pathOf(DELETED))
  await truncate(pathOf(TRUNCATED), 1000)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await serve?.stop()
  await s3?.close()
  if (work) await removeTempDir(work)
})

describe('files changed while no owner ran', () => {
  it('the window shows them missing at first paint, and the queue forgot them', async () => {
    serve = await startServe(env, ['--config', config])
    page = await browser.newPage({ viewport: { width: 1280, height: 640 } })
    await page.goto(`${serve.origin()}/?token=${serve.token}`)
    // First paint: the first time the rows are there, they are already right (no "completed" first).
    await modelRow(page, KEPT).waitFor({ timeout: 30_000 })
    const first = {
      kept: await statusOf(page, KEPT),
      deleted: await statusOf(page, DELETED),
      truncated: await statusOf(page, TRUNCATED),
    }
    expect(first).toEqual({ kept: 'completed', deleted: 'missing', truncated: 'missing' })
    expect(await modelRow(page, TRUNCATED).innerText()).toContain('different size')
    expect(await groupHeading(page, 'vae').innerText()).toMatch(/2 missing/)
    expect(await page.getByRole('button', { name: /Download missing/ }).innerText()).toContain('(2)')
    await screenshot(page, 'disk-truth-first-paint')

    // The owner's own records agree: the two completed records whose files changed are gone.
    const { stdout } = await run(process.execPath, [CLI_BIN, 'list', '--all', '--format', 'json'], { env })
    const records = JSON.parse(stdout) as ModelRecord[]
    const byName = new Map(records.map((r) => [r.modelName, r.status]))
    expect(byName.get(KEPT)).toBe('completed')
    expect(byName.has(DELETED)).toBe(false)
    expect(byName.has(TRUNCATED)).toBe(false)
  }, 90_000)
})
