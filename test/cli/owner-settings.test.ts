// The same settings.json runs the same queue the same way whoever owns it, and the owner applies a
// change to it whoever writes it: real `modeldl` processes (the built CLI), a real s3rver.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { writeSettingsFile } from '../../src/core/app/settings-file'
import { connectSocket } from '../../src/core/service/owner/socket-client'
import { statePaths } from '../../src/core/service/state-paths'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { startServe, type ServeProcess } from '../support/serve-process'
import { makeTempDir, removeTempDir } from '../support/temp'

const MiB = 1024 * 1024

interface Status {
  owner: { kind: string; pid: number } | null
  settings?: { concurrency: number; maxConnections: number; bandwidthLimitBps: number }
}

describe('settings.json and the owner of the queue (real processes)', () => {
  let s3: TestS3Server
  let work: string
  let home: string
  let env: NodeJS.ProcessEnv
  let serve: ServeProcess | null = null
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/big.safetensors', 40 * MiB)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await makeTempDir('modeldl-owner-settings-')
    home = join(work, 'state')
    const config = join(work, 'config.json')
    await writeFile(
      config,
      JSON.stringify([
        {
          directoryGroup: 'checkpoints',
          modelName: 'big.safetensors',
          originalS3Path: 's3://models/models/big.safetensors',
          localPath: join(work, 'models', 'checkpoints', 'big.safetensors'),
          modelSize: 40 * MiB,
        },
      ]),
    )
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.env,
      MODELDL_HOME: home,
      MODELDL_MODELS_ROOT: join(work, 'models'),
      MODEL_CONFIG_FILE: config,
    }
    // Slow enough that whoever owns the queue is still busy with it while the test asks.
    await writeSettingsFile(join(home, 'settings.json'), {
      concurrency: 8,
      connectionsPerFile: 0,
      bandwidthLimitBps: 1 * MiB,
    })
  })
  afterEach(async () => {
    await serve?.stop()
    serve = null
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    await removeTempDir(work)
  })

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  const status = (): Status => {
    const r = run('status', '--json')
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as Status
  }
  async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const value = probe()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const ownedBy = (kind: string) => () => {
    const s = status()
    return s.owner?.kind === kind ? s : undefined
  }

  it('gives the same concurrency and connections whether a CLI daemon or modeldl serve owns the queue', async () => {
    const started = run('download', 'missing')
    expect(started.status, started.stderr).toBe(0)
    const byDaemon = await until('a CLI daemon owning the queue', ownedBy('daemon'))
    // 8 downloads × 4 automatic connections: the budget never cuts the concurrency the user chose.
    const expected = { concurrency: 8, maxConnections: 32, bandwidthLimitBps: 1 * MiB }
    expect(byDaemon.settings).toEqual(expected)

    const stopped = run('worker', 'stop')
    expect(stopped.status, stopped.stderr).toBe(0)
    await until('no owner', () => (status().owner === null ? true : undefined))
    serve = await startServe(env)
    const byServe = await until('modeldl serve owning the queue', ownedBy('serve'))
    expect(byServe.settings).toEqual(byDaemon.settings)
  }, 90_000)

  it('applies a settings.json written by a client within a couple of seconds; a broken one leaves the settings in force', async () => {
    expect(run('download', 'missing').status).toBe(0)
    await until('a CLI daemon owning the queue', ownedBy('daemon'))

    // A client (here: this test, as `modeldl serve` or the app would) rewrites the file atomically.
    const written = Date.now()
    await writeSettingsFile(join(home, 'settings.json'), {
      concurrency: 5,
      connectionsPerFile: 2,
      bandwidthLimitBps: 2 * MiB,
    })
    const applied = await until(
      'the owner to apply the new file',
      () => (status().settings?.concurrency === 5 ? status() : undefined),
      5_000,
    )
    const elapsed = Date.now() - written
    console.info(`settings.json change applied by the owner after ${elapsed} ms`)
    expect(elapsed).toBeLessThan(3_000)
    expect(applied.settings).toEqual({ concurrency: 5, maxConnections: 32, bandwidthLimitBps: 2 * MiB })

    // A broken file: the owner logs why and keeps what it had.
    await writeFile(join(home, 'settings.json'), JSON.stringify({ concurrency: 'eight' }))
    const log = join(home, 'modeldl.log')
    await until(
      'the logged reason',
      () => (readFileSync(log, 'utf8').includes('"concurrency" should be a number') ? true : undefined),
      5_000,
    )
    expect(readFileSync(log, 'utf8')).toMatch(/but is "eight".*settings in effect stay as they were/)
    // `modeldl status` itself refuses the broken file (naming it): ask the owner over its socket.
    expect(run('status', '--json').stderr).toContain('is not valid: "concurrency" should be a number')
    const client = await connectSocket(statePaths(home, env).socketPath, { timeoutMs: 2_000 })
    try {
      expect((await client.api.status()).settings).toEqual(applied.settings)
    } finally {
      client.close()
    }
  }, 90_000)
})
