// What the end-to-end tests do to the window, in a user's terms: find a model's row by its name, read
// its status word and its bar, wait for either, take a screenshot. Everything goes through accessible
// roles and names (the same ones a screen reader uses), never through CSS classes.
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import { ROOT } from '../../support/built'

/** Where the tests leave their screenshots (ignored by git; the README's come from here). */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots')

export interface ModelObject {
  group: string
  name: string
  size: number
}

/** `models/<group>/<name>` for each model: the keys the session seeds. */
export function objectKeys(models: readonly ModelObject[]): Record<string, number> {
  return Object.fromEntries(models.map((m) => [`models/${m.group}/${m.name}`, m.size]))
}

/** The old system's nested config for these models, with {{NETWORK_VOLUME}} placeholders and bucket-less paths. */
export function nestedConfig(models: readonly ModelObject[]): Record<string, Record<string, unknown>> {
  const config: Record<string, Record<string, unknown>> = {}
  for (const m of models) {
    config[m.group] ??= {}
    config[m.group]![m.name.replace(/\.[^.]+$/, '')] = {
      originalS3Path: `models/${m.group}/${m.name}`,
      localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/${m.group}/${m.name}`,
      modelName: m.name,
      modelSize: m.size,
      directoryGroup: m.group,
      uploadedAt: '2026-11-20T10:00:00.000Z',
    }
  }
  return config
}

/** The table row that holds this model (a row whose name cell says exactly this). */
export function modelRow(page: Page, name: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) })
}

export function statusOf(page: Page, name: string): Promise<string> {
  return modelRow(page, name).locator('[data-status]').innerText()
}

export function progressOf(page: Page, name: string): Promise<number> {
  return page
    .getByRole('progressbar', { name: `${name} progress`, exact: true })
    .getAttribute('aria-valuenow')
    .then(Number)
}

export async function waitForStatus(
  page: Page,
  name: string,
  status: string,
  timeout = 60_000,
): Promise<void> {
  await expect.poll(() => statusOf(page, name).catch(() => ''), { timeout, interval: 100 }).toBe(status)
}

/** Waits until the model's bar shows at least `percent`. */
export async function waitForProgress(
  page: Page,
  name: string,
  percent: number,
  timeout = 60_000,
): Promise<void> {
  await expect
    .poll(() => progressOf(page, name).catch(() => -1), { timeout, interval: 100 })
    .toBeGreaterThanOrEqual(percent)
}

/** The group's heading row, whose text is its summary ("loras · 3 models · 2 missing · 19.9 MB …"). */
export function groupHeading(page: Page, group: string): Locator {
  return page.locator(`[role="row"][data-group="${group}"]`)
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path })
  return path
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Moves to a screen through the header's navigation. */
export async function openScreen(
  page: Page,
  label: 'Downloads' | 'Browse source' | 'Settings',
): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: label }).click()
}
