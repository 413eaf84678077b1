// The small answers a newcomer meets first, from the real CLI: an empty queue says so, status speaks in
// words (cancelled counted), and a mistyped flag gets a suggestion rather than Node's parser advice.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

const SIZE = 8 * 1024 * 1024

let s3: TestS3Server
let work: string
let home: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  await s3.putRandom('models/vae/ae.safetensors', SIZE)
})
afterAll(async () => s3?.close())
beforeEach(async () => {
  work = await makeTempDir('modeldl-plain-')
  home = join(work, 'home')
  await mkdir(home)
  env = {
    PATH: process.env['PATH'],
    HOME: work,
    ...s3.env,
    AWS_BUCKET_NAME: 'models',
    MODELDL_HOME: home,
    MODELDL_MODELS_ROOT: join(work, 'models'),
  }
})
afterEach(async () => {
  run('worker', 'stop', '--force')
  await removeTempDir(work)
})

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })
}

async function until(probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('answers in words', () => {
  it('queue and list --format simple say when there is nothing', () => {
    const queue = run('queue')
    expect(queue.status).toBe(0)
    expect(queue.stdout).toBe('Queue is empty.\n')
    expect(run('list', '--format', 'simple').stdout).toBe('No active downloads.\n')
    expect(run('list', '--format', 'simple', '--all').stdout).toBe('No downloads.\n')
    // Scripts that read JSON still get an empty list.
    expect(JSON.parse(run('queue', '--json').stdout)).toEqual([])
  })

  it('status names the S3 settings in words and counts cancelled models', async () => {
    // Slow enough that the model is still downloading when it is cancelled.
    await writeFile(join(home, 'settings.json'), JSON.stringify({ bandwidthLimitBps: 500_000 }))
    const target = join(work, 'models', 'vae', 'ae.safetensors')
    const model = {
      directoryGroup: 'vae',
      modelName: 'ae.safetensors',
      originalS3Path: 'models/vae/ae.safetensors',
      localPath: target,
      modelSize: SIZE,
    }
    expect(run('download', 'single', JSON.stringify(model)).status).toBe(0)
    await until(() => existsSync(`${target}.part`))
    expect(run('cancel', '--all').status).toBe(0)
    const status = run('status')
    expect(status.status).toBe(0)
    expect(status.stdout).toMatch(
      /^ {2}Models: +0 queued, 0 downloading, 0 paused, 0 completed, 0 failed, 1 cancelled$/m,
    )
    expect(status.stdout).toMatch(/^ {2}Latest batch: +0\/1 completed, 0 failed, 1 cancelled; /m)
    expect(status.stdout).toMatch(new RegExp(`^ {2}S3: +endpoint ${s3.endpoint} \\(path-style\\)$`, 'm'))
    expect(status.stdout).toMatch(/^ +region us-east-1; default bucket models$/m)
    expect(status.stdout).not.toContain('{')
  })
})

describe('a mistyped flag', () => {
  it('is named, with the flag that was probably meant', () => {
    const r = run('download', 'missing', '--wiat')
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(
      'modeldl: unknown option --wiat (did you mean --wait?). Run `modeldl help` for every option.\n',
    )
    expect(run('list', '--fromat', 'simple').stderr).toContain(
      'unknown option --fromat (did you mean --format?)',
    )
  })

  it('gets no guess when nothing is close', () => {
    const r = run('status', '--verbose')
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('modeldl: unknown option --verbose. Run `modeldl help` for every option.\n')
  })
})
