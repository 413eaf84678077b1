#!/usr/bin/env -S npx tsx
// The window states issue 21 is about, photographed: the sample config, failed rows and the details
// drawer, a download waiting for its automatic retry, the queue toast, and Test connection against a
// store whose one-key listing fails (as the demo's s3rver does). A real s3rver behind the project's
// fault proxy, the built `modeldl serve --ui` and Debian's Chromium, as in test/e2e.
// Run: npx electron-vite build && npx tsx scripts/window-shots.mts [--out DIR]
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Page } from 'playwright-core'
import { ROOT } from '../test/support/built'
import { startUiSession } from '../test/e2e/support/ui-session'
import { nestedConfig, objectKeys, type ModelObject } from '../test/e2e/support/ui-helpers'

const { values } = parseArgs({
  options: { out: { type: 'string', default: join(ROOT, 'test-results', 'window-shots') } },
})
const OUT = values.out!
const MiB = 1024 * 1024
const PRESENT: ModelObject[] = [
  { group: 'checkpoints', name: 'sdxl_base_1.0.safetensors', size: 24 * MiB },
  { group: 'loras', name: 'detail_tweaker_xl.safetensors', size: 6 * MiB },
  { group: 'loras', name: 'add_more_details.safetensors', size: 8 * MiB },
  { group: 'vae', name: 'sdxl_vae.safetensors', size: 3 * MiB },
]
/** In the config, not in the store: a permanent 404 with a long path. */
const ABSENT: ModelObject = {
  group: 'loras',
  name: 'pixel_art_style_extremely_long_name_v2.safetensors',
  size: MiB,
}
/** The store answers 403 for this one. */
const DENIED = PRESENT[2]!
/** The store answers 503 for this one until the script lifts the fault. */
const FLAKY = PRESENT[3]!

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(OUT, `${name}.png`) })
  console.log(`${name}.png`)
}

await mkdir(OUT, { recursive: true })
const session = await startUiSession({
  objects: objectKeys(PRESENT),
  settings: { bucket: 'models' },
  faultRules: [
    { match: { keyIncludes: DENIED.name }, fault: { kind: 'status', status: 403, code: 'AccessDenied' } },
    {
      match: { keyIncludes: FLAKY.name },
      fault: {
        kind: 'status',
        status: 503,
        code: 'ServiceUnavailable',
        message: 'Please reduce your request rate.',
      },
    },
    // The demo's s3rver fails a truncated one-key listing (DES continuation tokens under OpenSSL 3).
    {
      match: { method: 'GET', queryIncludes: 'list-type=2' },
      fault: {
        kind: 'status',
        status: 500,
        code: 'InternalError',
        message: 'We encountered an internal error. Please try again.',
      },
    },
  ],
})
try {
  const page = await session.newPage({ width: 1280, height: 720 })
  await page.getByRole('button', { name: 'Try the sample config' }).waitFor()
  await shot(page, 'empty')

  await page.getByRole('button', { name: 'Try the sample config' }).click()
  await page.getByRole('table').waitFor()
  await shot(page, 'sample-loaded')
  await page.getByRole('button', { name: /Download missing/ }).click()
  await page.waitForTimeout(6_000)
  await shot(page, 'sample-after-download')
  await page.getByRole('button', { name: 'Cancel all' }).click()
  await page.getByRole('button', { name: 'Yes, cancel everything' }).click()

  const file = join(session.work, 'my-models.json')
  await writeFile(file, JSON.stringify(nestedConfig([...PRESENT, ABSENT]), null, 2))
  await page.getByLabel('Model config file').first().setInputFiles(file)
  await page.getByRole('row').filter({ hasText: ABSENT.name }).waitFor()
  await shot(page, 'config-loaded')
  await page.getByRole('button', { name: /Download missing/ }).click()
  await page.waitForTimeout(1_500)
  await shot(page, 'queued-toast')
  // The flaky one waits for its automatic retry after its first attempt's own retries.
  await page
    .getByText(/retrying in \d+ s/)
    .first()
    .waitFor({ timeout: 60_000 })
    .catch(() => console.log('(no "retrying in" text appeared)'))
  await shot(page, 'retrying')
  const failedRow = page.getByRole('row').filter({ hasText: ABSENT.name })
  await failedRow.hover()
  await shot(page, 'failed-rows')
  await failedRow.getByRole('button', { name: /Details/ }).click()
  await page.getByRole('dialog').waitFor()
  await shot(page, 'failed-details')
  await page.keyboard.press('Escape')

  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Settings' }).click()
  await page.getByRole('button', { name: 'Test connection' }).click()
  await page.getByText(/Connection (works|failed)/).waitFor({ timeout: 30_000 })
  await shot(page, 'test-connection')
} finally {
  await session.close()
}
