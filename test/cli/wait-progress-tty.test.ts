// `download --wait` on a real terminal (tmux, 80 columns, 24 and 50 rows), 30 models from s3rver at
// once under a bandwidth limit: every line fits the width, the frame never exceeds the screen, old
// frames do not pile up in the scrollback, and the run ends with one closing summary.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN, ROOT } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { tempDirs } from '../support/temp'
import { hasTmux, tmuxPane, type TmuxPane } from '../support/tmux'

const SIZE = 1024 * 1024
// 29 objects and a link to one of them: 30 models, names long enough to need cutting at 80 columns.
const OBJECTS = Array.from({ length: 29 }, (_, i) => {
  const group = i < 20 ? 'loras' : i < 25 ? 'checkpoints' : 'vae'
  return { group, name: `${group}_model_with_a_long_name_${String(i).padStart(2, '0')}.safetensors` }
})
/** A line of the frame for one model: its percentage and bar. */
const BAR_LINE = /^\s*\d+\.\d% [█░]+ /
const HEADER_LINE = /^\d+\/30 models · /

const temp = tempDirs()
let s3: TestS3Server

function config(nv: string): unknown {
  const entry = (group: string, name: string, extra = {}) => ({
    originalS3Path: `models/${group}/${name}`,
    localPath: `${nv}/${group}/${name}`,
    modelName: name,
    modelSize: SIZE,
    directoryGroup: group,
    ...extra,
  })
  const nested: Record<string, Record<string, unknown>> = {}
  for (const o of OBJECTS) (nested[o.group] ??= {})[o.name] = entry(o.group, o.name)
  const target = OBJECTS[25]!
  nested['text_encoders'] = {
    link: entry(target.group, target.name, {
      localPath: `${nv}/text_encoders/${target.name}`,
      directoryGroup: 'text_encoders',
      symLinkedFrom: `${nv}/${target.group}/${target.name}`,
    }),
  }
  return nested
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** Runs the 30 models in a pane of 80 × rows; returns the captures taken while it ran, and the last. */
async function run(rows: number): Promise<{ during: string[][]; after: string[]; screen: string[] }> {
  const work = await temp.make('modeldl-tty-')
  const nv = join(work, 'models')
  const home = join(work, 'home')
  await mkdir(nv)
  await mkdir(home)
  await writeFile(join(work, 'config.json'), JSON.stringify(config(nv)))
  // All 30 at once, slowly enough (~8 s) to be watched.
  await writeFile(
    join(home, 'settings.json'),
    JSON.stringify({ concurrency: 30, bandwidthLimitBps: 4_000_000 }),
  )
  const env = {
    PATH: process.env['PATH'],
    HOME: work,
    TERM: 'xterm-256color',
    ...s3.env,
    AWS_BUCKET_NAME: 'models',
    MODELDL_HOME: home,
    MODELDL_MODELS_ROOT: nv,
    MODEL_CONFIG_FILE: join(work, 'config.json'),
  }
  const pane: TmuxPane = tmuxPane(
    work,
    `cd ${ROOT} && node ${CLI_BIN} download missing --wait`,
    env,
    80,
    rows,
  )
  try {
    const during: string[][] = []
    const after = await until('the command to end', () => {
      const all = pane.everything()
      if (all.some((l) => l.startsWith('EXIT '))) return all
      if (all.some((l) => HEADER_LINE.test(l))) during.push(all)
      return undefined
    })
    return { during, after, screen: pane.screen() }
  } finally {
    pane.kill()
  }
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  for (const o of OBJECTS) await s3.putRandom(`models/${o.group}/${o.name}`, SIZE)
})

afterAll(async () => {
  await s3?.close()
  await temp.cleanup()
})

describe.skipIf(!hasTmux())('download --wait on a terminal', () => {
  for (const rows of [24, 50]) {
    it(`fits 80 × ${rows}: no wrapped line, no frame taller than the screen, no old frames kept`, async () => {
      const { during, after, screen } = await run(rows)
      expect(during.length, 'captures taken while it ran').toBeGreaterThan(3)
      for (const capture of [...during, after]) {
        for (const line of capture) expect(line.trimEnd().length, line).toBeLessThanOrEqual(80)
        // One frame at a time: one header, and no more model lines than the screen holds.
        expect(capture.filter((l) => HEADER_LINE.test(l)).length).toBeLessThanOrEqual(1)
        expect(capture.filter((l) => BAR_LINE.test(l)).length).toBeLessThanOrEqual(rows - 2)
      }
      // A frame that could not hold every running model says how many it left out.
      if (rows === 24) expect(during.some((c) => c.some((l) => /… and \d+ more \(/.test(l)))).toBe(true)
      // At the end the frame is gone from screen and scrollback, and the summary stays.
      expect(after.filter((l) => BAR_LINE.test(l) || HEADER_LINE.test(l))).toEqual([])
      expect(after).toContain('EXIT 0')
      const summary = after.find((l) => l.startsWith('30 models: '))
      expect(summary).toMatch(/^30 models: 30 completed; 30\.4 MB downloaded in \d+\.\d s \(\d+\.\d MB\/s\)/)
      expect(screen.join('\n')).toContain(summary)
    }, 120_000)
  }
})
