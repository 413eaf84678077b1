// `modeldl scan` and `modeldl download missing --from`, through the real built CLI against s3rver.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseModelConfig } from '../../src/core/config'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'
import {
  fixtureKeys,
  fixtureSize,
  MODEL_COUNT_ALL_TYPES,
  MODEL_COUNT_DEFAULT_TYPES,
  seedFixture,
} from '../core/scan/scan-fixture'

const KiB = 1024
/** A small source for downloads: real content, nested groups, one file directly under the prefix. */
const SMALL = {
  'vae/ae.safetensors': 300 * KiB + 7,
  'loras/sdxl/detail.safetensors': 1024 * KiB,
  'loras/style.safetensors': 64 * KiB,
  'loose.ckpt': 5 * KiB,
}

describe('modeldl scan / download --from (the real CLI, s3rver)', () => {
  let s3: TestS3Server
  let work: string
  let nv: string
  let root: string
  let home: string
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await seedFixture(s3, 'models/')
    for (const [key, size] of Object.entries(SMALL)) await s3.putRandom(`small/${key}`, size)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await makeTempDir('modeldl-cli-scan-')
    nv = join(work, 'volume')
    root = join(nv, 'ComfyUI', 'models')
    home = join(work, 'home')
    await mkdir(root, { recursive: true })
    env = { PATH: process.env['PATH'], HOME: work, ...s3.env, NETWORK_VOLUME: nv, MODELDL_HOME: home }
  })
  afterEach(async () => {
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    await removeTempDir(work)
  })

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  const place = async (rel: string, bytes: number) => {
    await mkdir(dirname(join(root, rel)), { recursive: true })
    await writeFile(join(root, rel), Buffer.alloc(bytes))
  }

  it('table: group, model, size, last modified and local state, with a summary on stderr', async () => {
    await place('vae/v-000.pt', fixtureSize('vae/v-000.pt'))
    await place('vae/v-001.pt', fixtureSize('vae/v-001.pt') + 3)
    await place('vae/v-002.pt.part', 10)

    const r = run('scan', 's3://models/models/')
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^GROUP\s+MODEL\s+SIZE\s+LAST MODIFIED\s+LOCAL$/)
    expect(lines).toHaveLength(1 + MODEL_COUNT_DEFAULT_TYPES)
    const row = (model: string) => lines.find((l) => l.split(/\s{2,}/)[1] === model)!
    expect(row('v-000.pt')).toMatch(/^vae\s+v-000\.pt\s+\d+ B\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+installed$/)
    expect(row('v-001.pt')).toMatch(/different size \(\d+ B on disk\)$/)
    expect(row('v-002.pt')).toMatch(/\spartial$/)
    expect(row('v-003.pt')).toMatch(/\smissing$/)
    expect(row('sdxl/detail-000.safetensors')).toMatch(/^loras\s/)
    expect(row('big.safetensors (+.tar.zst)')).toMatch(/^checkpoints\s/)
    expect(row('loose.safetensors')).toMatch(/^other\s/)
    expect(r.stderr).toContain(
      `${MODEL_COUNT_DEFAULT_TYPES} models in 8 groups (${fixtureKeys().length} objects listed): 1 installed, ` +
        `${MODEL_COUNT_DEFAULT_TYPES - 3} missing, 1 partial, 1 different size`,
    )

    const all = run('scan', 's3://models/models/', '--all-types', '--format', 'flat')
    expect(all.status, all.stderr).toBe(0)
    const flat = JSON.parse(all.stdout) as Array<Record<string, unknown>>
    expect(flat).toHaveLength(MODEL_COUNT_ALL_TYPES)
    expect(flat.find((m) => m['modelName'] === 'README.txt')).toEqual({
      directoryGroup: 'loras',
      modelName: 'README.txt',
      originalS3Path: 's3://models/models/loras/sdxl/README.txt',
      localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/sdxl/README.txt',
      modelSize: fixtureSize('loras/sdxl/README.txt'),
    })
  })

  it('nested to stdout and to a file read back by the config loader; --merge keeps the other entries', async () => {
    const printed = run('scan', 's3://models/models/', '--format', 'nested')
    expect(printed.status, printed.stderr).toBe(0)
    const stdoutConfig = JSON.parse(printed.stdout) as Record<string, Record<string, unknown>>

    const out = join(work, 'scanned.json')
    const saved = run('scan', 's3://models/models/', '--out', out)
    expect(saved.status, saved.stderr).toBe(0)
    expect(saved.stderr).toContain(`Wrote ${MODEL_COUNT_DEFAULT_TYPES} models to ${out}`)
    const fileConfig = JSON.parse(await readFile(out, 'utf8')) as Record<string, Record<string, unknown>>
    expect(fileConfig).toEqual(stdoutConfig)
    const parsed = await parseModelConfig(fileConfig, { networkVolume: nv, modelsRoots: [root] })
    expect(parsed.entries).toHaveLength(MODEL_COUNT_DEFAULT_TYPES)
    expect(parsed.entries.find((e) => e.id === 'loras/flux/style/ink-001')).toMatchObject({
      s3Uri: 's3://models/models/loras/flux/style/ink-001.SafeTensors',
      localPath: join(root, 'loras/flux/style/ink-001.SafeTensors'),
      expectedSize: fixtureSize('loras/flux/style/ink-001.SafeTensors'),
    })

    const mine = join(work, 'mine.json')
    const theirs = {
      controlnet: {
        canny: {
          originalS3Path: 'models/controlnet/canny.safetensors',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/controlnet/canny.safetensors',
          modelName: 'canny.safetensors',
          modelSize: 99,
          directoryGroup: 'controlnet',
          owner: 'me',
        },
      },
    }
    await writeFile(mine, JSON.stringify(theirs))
    const merged = run('scan', 's3://models/models/', '--out', mine, '--merge')
    expect(merged.status, merged.stderr).toBe(0)
    expect(merged.stderr).toContain('(1 other entries kept)')
    const after = JSON.parse(await readFile(mine, 'utf8')) as Record<string, unknown>
    expect(after['controlnet']).toEqual(theirs.controlnet)
    expect(after['vae']).toEqual(fileConfig['vae'])
  })

  it('--models-root puts the groups elsewhere', async () => {
    const elsewhere = join(work, 'elsewhere')
    const r = run('scan', 's3://models/small/', '--models-root', elsewhere, '--format', 'flat')
    expect(r.status, r.stderr).toBe(0)
    const flat = JSON.parse(r.stdout) as Array<{ localPath: string }>
    expect(flat.map((m) => m.localPath).sort()).toEqual(
      Object.keys(SMALL)
        .map((k) => join(elsewhere, k))
        .sort(),
    )
  })

  it('errors: a missing bucket exits 1 with a message; bad input exits 2', () => {
    const missing = run('scan', 's3://no-such-bucket/models/')
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/modeldl: The bucket "no-such-bucket" does not exist/)
    expect(run('scan', 'models/').status).toBe(2)
    expect(run('scan').status).toBe(2)
    expect(run('scan', 's3://models/models/', '--merge').status).toBe(2)
    expect(run('scan', 's3://models/models/', '--format', 'yaml').status).toBe(2)
    expect(run('download', 'list', '--from', 's3://models/small/').status).toBe(2)
    expect(run('download', 'missing', '--from', 's3://no-such-bucket/x/').status).toBe(1)
  })

  it('download missing --from fetches what the source has and the machine lacks, then finds nothing to do', async () => {
    await place('loras/style.safetensors', 10)
    const exact = await s3.get('small/vae/ae.safetensors')
    await mkdir(join(root, 'vae'), { recursive: true })
    await writeFile(join(root, 'vae', 'ae.safetensors'), exact)

    const r = run('download', 'missing', '--from', 's3://models/small/', '--wait')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^3 queued/m)
    for (const key of Object.keys(SMALL)) {
      expect(readFileSync(join(root, key)).equals(await s3.get(`small/${key}`)), key).toBe(true)
    }

    const again = run('download', 'missing', '--from', 's3://models/small/', '--wait')
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/Nothing to download/)
  })
})
