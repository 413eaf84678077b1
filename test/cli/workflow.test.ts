// `modeldl workflow` through the real built CLI (a child process) against s3rver: the table, --json,
// PNG workflows, --save-config read back by the config loader, and --download --wait landing files
// from S3 and, for a model only at a Hugging Face URL, from the HTTPS look-alike through HF_ENDPOINT.
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseModelList } from '../../src/core/config'
import type { WorkflowResolution } from '../../src/shared/workflow'
import { CLI_BIN } from '../support/built'
import { startModelHostsServer, type HostedFile, type ModelHostsServer } from '../support/model-hosts-server'
import { pngWithText } from '../support/png-file'
import { makeTestCertificates, type TestCertificates } from '../support/tls-ca'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

const FIXTURES = join(import.meta.dirname, '../fixtures/workflows')
const FLUX = join(FIXTURES, 'flux-template.json')
const MIRROR: Record<string, number> = {
  'vae/ae.safetensors': 300 * 1024 + 7,
  'loras/flux/detail.safetensors': 64 * 1024,
  'text_encoders/clip_l.safetensors': 1500,
  'text_encoders/t5xxl_fp16.safetensors': 2500,
  'upscalers/4x-UltraSharp.pth': 1200,
}

type Printed = WorkflowResolution & {
  file: string
  download?: { queued: string[]; notQueued: Array<{ name: string; reason: string }> }
}

describe('modeldl workflow (the real CLI, s3rver)', () => {
  let s3: TestS3Server
  let work: string
  let root: string
  let home: string
  let env: NodeJS.ProcessEnv
  let certsDir: string
  let certs: TestCertificates
  let hosts: ModelHostsServer
  let flux: HostedFile
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    for (const [key, size] of Object.entries(MIRROR)) await s3.putRandom(`mirror/${key}`, size)
    certsDir = await makeTempDir('modeldl-cli-workflow-tls-')
    certs = makeTestCertificates(certsDir)
    hosts = await startModelHostsServer(certs)
    flux = hosts.addHf('Comfy-Org/flux1-dev', 'flux1-dev.safetensors', 200 * 1024 + 3).file
  })
  afterAll(async () => {
    await hosts?.close()
    await s3?.close()
    await removeTempDir(certsDir)
  })
  beforeEach(async () => {
    work = await makeTempDir('modeldl-cli-workflow-')
    const nv = join(work, 'volume')
    root = join(nv, 'ComfyUI', 'models')
    home = join(work, 'home')
    await mkdir(root, { recursive: true })
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.env,
      NETWORK_VOLUME: nv,
      MODELDL_HOME: home,
      HF_ENDPOINT: hosts.origin,
      NODE_EXTRA_CA_CERTS: certs.caFile,
    }
  })
  afterEach(async () => {
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    await removeTempDir(work)
  })

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, 'workflow', ...args], { env, encoding: 'utf8', timeout: 60_000 })
  const json = (...args: string[]) => {
    const r = run(...args, '--json')
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as Printed
  }
  const states = (printed: Printed) => Object.fromEntries(printed.models.map((m) => [m.name, m.state]))
  const place = async (rel: string, bytes: Buffer) => {
    await mkdir(dirname(join(root, rel)), { recursive: true })
    await writeFile(join(root, rel), bytes)
  }

  it('lists each model with its folder, state, source and size in 80 columns, and the same as JSON', async () => {
    await place('text_encoders/clip_l.safetensors', await s3.get('mirror/text_encoders/clip_l.safetensors'))
    const r = run(FLUX, '--from', 's3://models/mirror/')
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(
      lines.every((l) => l.length <= 80),
      r.stdout,
    ).toBe(true)
    expect(lines[0]).toMatch(/^NAME\s+FOLDER\s+STATE\s+SOURCE\s+SIZE$/)
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))
    expect(row('clip_l.safetensors')).toMatch(/\stext_encoders\s+installed\s+disk\s+1\.5 KB$/)
    expect(row('ae.safetensors')).toMatch(/\svae\s+missing\s+S3\s+307\.2 KB$/)
    expect(row('flux/detail.safetensors')).toMatch(/\sloras\s+missing\s+S3\s+65\.5 KB$/)
    expect(row('t5xxl_fp16.safetensors')).toMatch(/\stext_encoders\s+missing\s+S3 \+URL\s+2\.5 KB$/)
    expect(row('flux1-dev.safetensors')).toMatch(/\sdiffusion_models\s+missing\s+URL\s+-$/)
    expect(row('adapters/fancy-v2.gguf')).toMatch(/\sunknown\s+not found\s+-\s+-$/)
    // Notes follow the table, wrapped to 80 columns.
    expect(r.stdout.replace(/\n {4}/g, ' ')).toContain(
      '4x-UltraSharp.pth: matched by file name alone: s3://models/mirror/upscalers/4x-UltraSharp.pth',
    )
    expect(r.stderr).toContain(
      '7 models: 1 installed, 4 to fetch from S3 (376.4 KB), 1 from a URL, 1 not found',
    )

    const printed = json(FLUX, '--from', 's3://models/mirror/', '--prefer', 'url')
    expect(printed).toMatchObject({ format: 'ui', container: 'json', s3Source: 's3://models/mirror/' })
    expect(states(printed)).toEqual({
      'flux1-dev.safetensors': 'url',
      'clip_l.safetensors': 'installed',
      't5xxl_fp16.safetensors': 'url',
      'ae.safetensors': 's3',
      'flux/detail.safetensors': 's3',
      '4x-UltraSharp.pth': 's3',
      'adapters/fancy-v2.gguf': 'not_found',
    })
    expect(printed.models.find((m) => m.name === 'ae.safetensors')).toMatchObject({
      folder: 'vae',
      size: MIRROR['vae/ae.safetensors'],
      localPath: join(root, 'vae/ae.safetensors'),
      s3Uri: 's3://models/mirror/vae/ae.safetensors',
      nodes: [{ id: '3', type: 'VAELoader' }],
    })
  })

  it('reads PNGs with a "workflow" or a "prompt" chunk, and the source from settings.json', async () => {
    await mkdir(home, { recursive: true })
    await writeFile(join(home, 'settings.json'), JSON.stringify({ sourceUri: 's3://models/mirror/' }))
    const graph = join(work, 'render.png')
    await writeFile(
      graph,
      pngWithText([{ type: 'tEXt', keyword: 'workflow', text: await readFile(FLUX, 'utf8') }]),
    )
    const fromGraph = json(graph)
    expect(fromGraph).toMatchObject({
      container: 'png:workflow',
      format: 'ui',
      s3Source: 's3://models/mirror/',
    })
    expect(states(fromGraph)['ae.safetensors']).toBe('s3')

    const api = { '9': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } } }
    const prompt = join(work, 'api.png')
    await writeFile(prompt, pngWithText([{ type: 'tEXt', keyword: 'prompt', text: JSON.stringify(api) }]))
    const fromPrompt = json(prompt)
    expect(fromPrompt).toMatchObject({ container: 'png:prompt', format: 'api' })
    expect(fromPrompt.models.map((m) => [m.name, m.folder, m.state])).toEqual([
      ['ae.safetensors', 'vae', 's3'],
    ])
  })

  it('--save-config writes the S3 models as a flat config the loader accepts', async () => {
    await place('text_encoders/clip_l.safetensors', await s3.get('mirror/text_encoders/clip_l.safetensors'))
    const out = join(work, 'from-workflow.json')
    const r = run(FLUX, '--from', 's3://models/mirror/', '--save-config', out)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(
      `Wrote 5 models to ${out} (2 left out: no S3 object known to be the same file)`,
    )
    const saved = JSON.parse(await readFile(out, 'utf8')) as unknown[]
    const entries = await parseModelList(saved, { networkVolume: join(work, 'volume'), modelsRoots: [root] })
    expect(
      entries.map((e) => [e.group, e.modelName, e.s3Uri, e.localPath, e.expectedSize, e.sha256]),
    ).toEqual([
      [
        'text_encoders',
        'clip_l.safetensors',
        's3://models/mirror/text_encoders/clip_l.safetensors',
        join(root, 'text_encoders/clip_l.safetensors'),
        1500,
        undefined,
      ],
      [
        'text_encoders',
        't5xxl_fp16.safetensors',
        's3://models/mirror/text_encoders/t5xxl_fp16.safetensors',
        join(root, 'text_encoders/t5xxl_fp16.safetensors'),
        2500,
        '6e480b09fae049a72d2a8c5fbccb8d3e92febeb233bbe9dfe7256958a9167635',
      ],
      [
        'vae',
        'ae.safetensors',
        's3://models/mirror/vae/ae.safetensors',
        join(root, 'vae/ae.safetensors'),
        MIRROR['vae/ae.safetensors'],
        undefined,
      ],
      [
        'loras',
        'flux/detail.safetensors',
        's3://models/mirror/loras/flux/detail.safetensors',
        join(root, 'loras/flux/detail.safetensors'),
        MIRROR['loras/flux/detail.safetensors'],
        undefined,
      ],
      [
        'upscale_models',
        '4x-UltraSharp.pth',
        's3://models/mirror/upscalers/4x-UltraSharp.pth',
        join(root, 'upscale_models/4x-UltraSharp.pth'),
        MIRROR['upscalers/4x-UltraSharp.pth'],
        undefined,
      ],
    ])
  })

  it('--download --wait fetches the S3 ones and the URL one into their folders and says which were not queued and why', async () => {
    // The fixture's t5xxl hash is not this object's: the S3 copy of it must fail verification.
    // Asynchronous: the HTTPS server lives in this process, and a spawnSync would stop it answering.
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'workflow', FLUX, '--from', 's3://models/mirror/', '--download', '--wait', '--json'],
      { env },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const status = await new Promise<number | null>((done) => child.once('close', done))
    const r = { status, stdout, stderr }
    expect(r.status, r.stderr).toBe(1)
    const printed = JSON.parse(r.stdout) as Printed
    expect(printed.download!.queued).toHaveLength(6)
    expect(printed.download!.notQueued.map((n) => n.name)).toEqual(['adapters/fancy-v2.gguf'])
    expect(r.stderr).toMatch(
      /not queued: adapters\/fancy-v2\.gguf: not installed, not in the S3 source, and no URL/,
    )
    expect(r.stderr).toMatch(/^6 queued/m)
    expect(await readFile(join(root, 'diffusion_models/flux1-dev.safetensors'))).toEqual(flux.bytes)
    for (const [local, key] of [
      ['vae/ae.safetensors', 'vae/ae.safetensors'],
      ['loras/flux/detail.safetensors', 'loras/flux/detail.safetensors'],
      ['text_encoders/clip_l.safetensors', 'text_encoders/clip_l.safetensors'],
      ['upscale_models/4x-UltraSharp.pth', 'upscalers/4x-UltraSharp.pth'],
    ] as const) {
      expect((await readFile(join(root, local))).equals(await s3.get(`mirror/${key}`)), local).toBe(true)
    }
    expect(r.stderr).toMatch(/failed: .*t5xxl_fp16\.safetensors/)

    const after = json(FLUX, '--from', 's3://models/mirror/')
    expect(states(after)).toMatchObject({ 'ae.safetensors': 'installed', '4x-UltraSharp.pth': 'installed' })
  })

  it('bad input exits 2 with a message; a listing that fails exits 1', async () => {
    const plain = join(work, 'plain.png')
    await writeFile(plain, pngWithText([{ type: 'tEXt', keyword: 'Software', text: 'an editor' }]))
    const noWorkflow = run(plain)
    expect(noWorkflow.status).toBe(2)
    expect(noWorkflow.stderr).toMatch(/modeldl: .*plain\.png: a PNG without a ComfyUI workflow/)
    const cut = join(work, 'cut.json')
    await writeFile(cut, (await readFile(FLUX, 'utf8')).slice(0, 300))
    expect(run(cut).stderr).toMatch(/cut\.json: not valid JSON at line \d+, column \d+: .*cut short/)
    expect(run(cut).status).toBe(2)
    expect(run().status).toBe(2)
    expect(run(FLUX, '--prefer', 'ftp').status).toBe(2)
    expect(run(FLUX, '--wait').status).toBe(2)
    const missing = run(FLUX, '--from', 's3://no-such-bucket/x/')
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/modeldl: The bucket "no-such-bucket" does not exist/)
  })
})
