// Hostile or huge model configs through the real `modeldl` binary: refused fast, with a message that
// says what is wrong, and a non-zero exit.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_CONFIG_ENTRIES } from '../../src/shared/limits'
import { CLI_BIN } from '../support/built'
import { makeTempDir, removeTempDir } from '../support/temp'

describe('modeldl download with a hostile or huge --config (the real CLI)', () => {
  let work: string
  let nv: string
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    work = await makeTempDir('modeldl-cli-config-')
    nv = join(work, 'volume')
    await mkdir(join(nv, 'ComfyUI', 'models'), { recursive: true })
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      NETWORK_VOLUME: nv,
      AWS_BUCKET_NAME: 'models',
      MODELDL_HOME: join(work, 'home'),
    }
  })
  afterEach(async () => {
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    await removeTempDir(work)
  })

  /** `modeldl download missing --config FILE`, timed. */
  const download = (config: string, timeout = 30_000) => {
    const started = performance.now()
    const result = spawnSync(process.execPath, [CLI_BIN, 'download', 'missing', '--config', config], {
      env,
      encoding: 'utf8',
      timeout,
    })
    return { ...result, ms: performance.now() - started }
  }

  /** A model whose file is in place (so `missing` has nothing to queue and no worker starts). */
  const installed = async (group: string, key: string) => {
    const localPath = join(nv, 'ComfyUI', 'models', group, `${key}.bin`)
    await mkdir(join(nv, 'ComfyUI', 'models', group), { recursive: true })
    await writeFile(localPath, 'x')
    return {
      originalS3Path: `models/${group}/${key}.bin`,
      localPath,
      modelName: `${key}.bin`,
      modelSize: 1,
      directoryGroup: group,
    }
  }

  it('/dev/zero is refused at once, without reading it', () => {
    const run = download('/dev/zero', 10_000)
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(
      'Model config /dev/zero: is a character device, not a regular file; a model config must be a regular JSON file',
    )
    expect(run.ms).toBeLessThan(2000)
  })

  it('download list @/dev/zero is held to the same rules as a config file', () => {
    const started = performance.now()
    const run = spawnSync(process.execPath, [CLI_BIN, 'download', 'list', '@/dev/zero'], {
      env,
      encoding: 'utf8',
      timeout: 10_000,
    })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('list mode: /dev/zero: is a character device, not a regular file')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('a FIFO with no writer is refused at once instead of hanging', () => {
    const fifo = join(work, 'config.fifo')
    execFileSync('mkfifo', [fifo])
    const run = download(fifo, 10_000)
    expect(run.error).toBeUndefined()
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(`Model config ${fifo}: is a FIFO (named pipe), not a regular file`)
    expect(run.ms).toBeLessThan(2000)
  })

  it('a 21 MB file is refused from its size', async () => {
    const file = join(work, 'big.json')
    const handle = await open(file, 'w')
    await handle.truncate(21 * 1000 * 1000)
    await handle.close()
    const run = download(file)
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(
      `Model config ${file}: too large: 20.0 MiB (21,000,000 bytes); a model config may be at most 20 MiB (20,971,520 bytes)`,
    )
    expect(run.ms).toBeLessThan(2000)
  })

  it('50,001 entries are refused with the count and the limit; 50,000 load', async () => {
    const model = (i: number) => ({
      originalS3Path: `models/g${i % 100}/m${i}.bin`,
      localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/g${i % 100}/m${i}.bin`,
      modelName: `m${i}.bin`,
      modelSize: 1,
      directoryGroup: `g${i % 100}`,
    })
    const tooMany = join(work, 'too-many.json')
    await writeFile(
      tooMany,
      JSON.stringify(Array.from({ length: MAX_CONFIG_ENTRIES + 1 }, (_, i) => model(i))),
    )
    const refused = download(tooMany)
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain('too many entries: 50,001; a model config may have at most 50,000')

    // Every one in place, so `missing` checks 50,000 files and has nothing to queue.
    for (let g = 0; g < 100; g++) await mkdir(join(nv, 'ComfyUI', 'models', `g${g}`))
    const exactly = Array.from({ length: MAX_CONFIG_ENTRIES }, (_, i) => model(i))
    for (const m of exactly) writeFileSync(m.localPath.replace('{{NETWORK_VOLUME}}', nv), 'x')
    const limit = join(work, 'limit.json')
    await writeFile(limit, JSON.stringify(exactly))
    const loaded = download(limit, 60_000)
    console.log(`modeldl download missing, 50,000 installed entries: ${loaded.ms.toFixed(0)} ms`)
    expect(loaded.stderr).toContain('Nothing to download: every model is installed.')
    expect(loaded.status).toBe(0)
    // 5 s is the target on an idle machine; generous for a shared one.
    expect(loaded.ms).toBeLessThan(20_000)
  }, 120_000)

  it('groups and models named like JavaScript object keys are all kept as data', async () => {
    const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'prototype']
    const groups: string[] = []
    for (const group of names) {
      const models: string[] = []
      for (const key of names)
        models.push(`${JSON.stringify(key)}: ${JSON.stringify(await installed(group, key))}`)
      groups.push(`${JSON.stringify(group)}: {${models.join(', ')}}`)
    }
    const file = join(work, 'names.json')
    await writeFile(file, `{${groups.join(', ')}}`)
    const run = download(file)
    expect(run.stderr).toContain('Nothing to download: every model is installed.')
    expect(run.status).toBe(0)

    // One file missing: exactly it is queued (so nothing was dropped or merged on the way).
    await writeFile(join(nv, 'ComfyUI', 'models', '__proto__', 'constructor.bin'), '')
    const one = download(file)
    expect(one.stderr).toContain('1 queued')
    expect(one.status).toBe(0)
  })

  it('bytes that are not UTF-8 are an error naming the entry and field, and nothing is written', async () => {
    const good = JSON.stringify({
      loras: {
        bad: {
          originalS3Path: 'models/loras/x.bin',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/@BAD@.bin',
          modelName: 'x.bin',
          modelSize: 1,
          directoryGroup: 'loras',
        },
      },
    })
    const [before, after] = good.split('@BAD@') as [string, string]
    const file = join(work, 'latin1.json')
    await writeFile(file, Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from(after)]))
    const run = download(file)
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(`Model config ${file}: loras/bad: localPath: is not valid UTF-8`)
    expect(existsSync(join(work, 'home', 'state.json'))).toBe(false)
  })
})
