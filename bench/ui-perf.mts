#!/usr/bin/env -S npx tsx
// Window benchmark (issue 5): a config of 5,000 models in 10 groups, 50 of them downloading at once from
// s3rver through the real service and worker, the window open in Debian's Chromium on `modeldl serve
// --ui`. Measures the renderer's main thread with a PerformanceObserver for long tasks (> 50 ms) and a
// requestAnimationFrame counter, in phases: opening the config, the steady state while 50 bars move,
// scrolling through the list while they move, and typing a filter while they move.
// Run: npm run bench:ui [-- --models 5000 --active 50 --seconds 15]. Prints a table and writes JSON.
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Page } from 'playwright-core'
import { ROOT } from '../test/support/built'
import { startUiSession } from '../test/e2e/support/ui-session'

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '5000' },
    groups: { type: 'string', default: '10' },
    active: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '15' },
    out: { type: 'string', default: join(ROOT, '.bench', 'ui-perf.json') },
  },
})
const MODELS = Number(values.models)
const ACTIVE = Number(values.active)
const SECONDS = Number(values.seconds)
const GROUP_NAMES = [
  'checkpoints',
  'loras',
  'vae',
  'clip',
  'unet',
  'controlnet',
  'upscale_models',
  'embeddings',
  'text_encoders',
  'diffusion_models',
].slice(0, Number(values.groups))
const MiB = 1024 * 1024
const OBJECT_BYTES = 8 * MiB
// Slow enough that all of them are still running when the measured phases end.
const BANDWIDTH = Math.floor((ACTIVE * OBJECT_BYTES) / (SECONDS * 3 + 30))

interface Sample {
  phase: string
  ms: number
  longTasks: number
  maxTaskMs: number
  /** Sum over long tasks of (duration − 50 ms): Lighthouse's "total blocking time". */
  blockingMs: number
  framesPerSecondFromServer?: number
}

function config(nv: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (let i = 0; i < MODELS; i++) {
    const group = GROUP_NAMES[i % GROUP_NAMES.length]!
    const live = i < ACTIVE
    const name = live ? `live-${String(i).padStart(3, '0')}.safetensors` : `${group}-${i}-fp16.safetensors`
    out[group] ??= {}
    out[group]![name] = {
      originalS3Path: live ? `models/live/${name}` : `models/${group}/${name}`,
      localPath: `${nv}/ComfyUI/models/${group}/${name}`,
      modelName: name,
      modelSize: live ? OBJECT_BYTES : 100 * MiB + i * 4099,
      directoryGroup: group,
    }
  }
  return out
}

/**
 * Installed before the page's own scripts: every long task from the first one. (Frame rates cannot be
 * read here: headless Chromium on these machines never runs requestAnimationFrame callbacks.)
 */
function instrument(): void {
  const w = window as unknown as { __perf: { tasks: Array<[number, number]> } }
  w.__perf = { tasks: [] }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__perf.tasks.push([e.startTime, e.duration])
  }).observe({ type: 'longtask', buffered: true })
}

async function measure(page: Page, phase: string, run: () => Promise<void>): Promise<Sample> {
  const start = await page.evaluate(() => performance.now())
  await run()
  const end = await page.evaluate(() => performance.now())
  const tasks = await page.evaluate(
    ([a, b]) =>
      (window as unknown as { __perf: { tasks: Array<[number, number]> } }).__perf.tasks
        .filter(([t]) => t >= a! && t <= b!)
        .map(([, d]) => d),
    [start, end],
  )
  const ms = end - start
  return {
    phase,
    ms: Math.round(ms),
    longTasks: tasks.length,
    maxTaskMs: Math.round(Math.max(0, ...tasks)),
    blockingMs: Math.round(tasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0)),
  }
}

const downloading = (page: Page) =>
  page.evaluate(() => document.querySelectorAll('[role="row"] [data-status="downloading"]').length)

async function main(): Promise<void> {
  console.log(
    `UI benchmark: ${MODELS} models in ${GROUP_NAMES.length} groups, ${ACTIVE} downloading at once ` +
      `(${ACTIVE} × ${OBJECT_BYTES / MiB} MiB, limit ${(BANDWIDTH / MiB).toFixed(1)} MiB/s); ` +
      `${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  )
  const objects: Record<string, number> = {}
  for (let i = 0; i < ACTIVE; i++)
    objects[`models/live/live-${String(i).padStart(3, '0')}.safetensors`] = OBJECT_BYTES
  const session = await startUiSession({
    objects,
    settings: { concurrency: ACTIVE, bandwidthLimitBps: BANDWIDTH },
  })
  const samples: Sample[] = []
  try {
    const file = join(session.work, 'five-thousand.json')
    await writeFile(file, JSON.stringify(config(session.nv)))
    const context = await session.browser.newContext({ viewport: { width: 1280, height: 800 } })
    await context.addInitScript(instrument)
    const page = await context.newPage()
    let serverFrames = 0
    page.on('websocket', (ws) => ws.on('framereceived', () => serverFrames++))
    await page.goto(session.url)
    await page.getByRole('heading', { name: 'No model config loaded' }).waitFor()

    samples.push(
      await measure(page, `open the config (${MODELS} models)`, async () => {
        await page.getByLabel('Model config file').first().setInputFiles(file)
        await page.locator('[role="row"][data-group="checkpoints"]').waitFor()
      }),
    )

    samples.push(
      await measure(page, `enqueue ${ACTIVE} (filter, select all shown, download)`, async () => {
        const filter = page.getByRole('searchbox', { name: 'Filter models' })
        await filter.fill('live-')
        await page.getByRole('checkbox', { name: 'Select all shown' }).check()
        await page.getByRole('button', { name: /^Download selected/ }).click()
        await filter.fill('')
        await page
          .getByRole('complementary', { name: 'Download queue' })
          .getByText(/downloading/)
          .first()
          .waitFor()
      }),
    )
    // Wait until every one of them runs (the queue panel counts them).
    const queue = page.getByRole('complementary', { name: 'Download queue' })
    for (let i = 0; i < 300; i++) {
      if ((await queue.innerText()).includes(`${ACTIVE} downloading`)) break
      await page.waitForTimeout(100)
    }

    const steadyFramesBefore = serverFrames
    const steady = await measure(page, `steady: ${ACTIVE} bars moving, ${SECONDS} s`, () =>
      page.waitForTimeout(SECONDS * 1000),
    )
    steady.framesPerSecondFromServer = Math.round(((serverFrames - steadyFramesBefore) / steady.ms) * 1000)
    samples.push(steady)

    const table = page.getByRole('table', { name: 'Models in the config' })
    const box = (await table.boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    samples.push(
      await measure(page, 'scroll the 5,000 rows while they move (wheel, 5 s)', async () => {
        for (let i = 0; i < 50; i++) {
          await page.mouse.wheel(0, i < 25 ? 2400 : -2400)
          await page.waitForTimeout(100)
        }
      }),
    )
    samples.push(
      await measure(page, 'type a filter while they move ("fp16", "4999")', async () => {
        const filter = page.getByRole('searchbox', { name: 'Filter models' })
        await filter.pressSequentially('fp16', { delay: 60 })
        await filter.fill('')
        await filter.pressSequentially('4999', { delay: 60 })
        await page
          .getByRole('cell', { name: 'diffusion_models-4999-fp16.safetensors', exact: true })
          .waitFor()
        await filter.fill('')
      }),
    )
    samples.push(
      await measure(page, 'sort by status, then by size, while they move', async () => {
        await page.getByRole('columnheader', { name: 'Status' }).getByRole('button').click()
        await page.waitForTimeout(500)
        await page.getByRole('columnheader', { name: 'Size' }).getByRole('button').click()
        await page.waitForTimeout(500)
      }),
    )
    const stillRunning = await queue.innerText()
    console.log(
      `(${await downloading(page)} downloading rows on screen at the end; queue: ${stillRunning.split('\n')[1] ?? ''})`,
    )

    const rows = samples.map((s) => [
      s.phase,
      String(s.ms),
      String(s.longTasks),
      String(s.maxTaskMs),
      String(s.blockingMs),
      s.framesPerSecondFromServer === undefined ? '' : String(s.framesPerSecondFromServer),
    ])
    const head = ['phase', 'ms', 'long tasks', 'longest ms', 'blocking ms', 'server msgs/s']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
    console.log(line(head))
    console.log(
      `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    )
    for (const r of rows) console.log(line(r))
    const worst = Math.max(...samples.map((s) => s.maxTaskMs))
    console.log(`Longest task: ${worst} ms (target: none over 50 ms).`)
    await mkdir(join(values.out, '..'), { recursive: true })
    await writeFile(values.out, `${JSON.stringify({ models: MODELS, active: ACTIVE, samples }, null, 2)}\n`)
    console.log(`Written ${values.out}`)
    await context.close()
  } finally {
    await session.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
