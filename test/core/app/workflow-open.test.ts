// workflow:open from a window's side: the gated handlers both doors are given, a real DownloadService,
// settings file, disk and s3rver. Bytes go in as the browser sends them (base64); what comes back is the
// table the CLI prints, and every bad file is refused with a message that says what it is.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAppBackend, type AppBackend } from '../../../src/core/app/app-backend'
import { FileSettingsStore } from '../../../src/core/app/settings-store'
import type { DownloadService } from '../../../src/core/service/download-service'
import { statePaths } from '../../../src/core/service/state-paths'
import { MAX_WORKFLOW_BASE64_CHARS } from '../../../src/shared/limits'
import { isQueueable, workflowEnqueueEntry, type OpenedWorkflow } from '../../../src/shared/workflow'
import { apiRejection as rejection } from '../../support/api-rejection'
import { ROOT } from '../../support/built'
import { pngWithText } from '../../support/png-file'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { openService } from '../service/service-harness'

const temp = tempDirs()
const FLUX = join(import.meta.dirname, '../../fixtures/workflows/flux-template.json')
const MIRROR: Record<string, number> = {
  'vae/ae.safetensors': 3000,
  'loras/flux/detail.safetensors': 2000,
  'text_encoders/clip_l.safetensors': 1500,
}

describe('workflow:open (the window backend, s3rver)', () => {
  let s3: TestS3Server
  let work: string
  let root: string
  let svc: DownloadService | null = null
  let backend: AppBackend | null = null

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    for (const [key, size] of Object.entries(MIRROR)) await s3.putRandom(`mirror/${key}`, size)
    // The listing runs in this process with the SDK's credential chain: the environment.
    Object.assign(process.env, s3.env)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await temp.make('modeldl-wf-open-')
    root = join(work, 'models')
    await mkdir(root, { recursive: true })
  })
  afterEach(async () => {
    await backend?.close()
    backend = null
    await svc?.close()
    svc = null
    await temp.cleanup()
  })

  async function start(sourceUri = 's3://models/mirror/'): Promise<AppBackend> {
    const stateDir = join(work, 'state')
    svc = await openService(s3, stateDir, root)
    const service = svc
    await mkdir(stateDir, { recursive: true })
    await writeFile(join(stateDir, 'settings.json'), JSON.stringify({ modelsRoots: [root], sourceUri }))
    const env = { ...s3.env }
    backend = await createAppBackend({
      service: { api: service, subscribe: (l) => service.on(l) },
      applyServiceSettings: (s) => service.applySettings({ ...s, s3: { ...s.s3, ...TEST_CREDENTIALS } }),
      settings: await FileSettingsStore.open(join(stateDir, 'settings.json'), { env, home: work }),
      paths: statePaths(stateDir, {}),
      ownerKind: 'cli',
      shell: 'browser',
      version: '9.9.9',
      env,
      sampleConfigPath: join(ROOT, 'resources', 'sample-model-config.json'),
    })
    return backend
  }

  const open = async (name: string, bytes: Buffer): Promise<OpenedWorkflow> =>
    (await start()).handlers['workflow:open']({ name, data: bytes.toString('base64') })
  const states = (w: OpenedWorkflow) => Object.fromEntries(w.models.map((m) => [m.name, m.state]))
  const place = async (rel: string, bytes: Buffer) => {
    await mkdir(dirname(join(root, rel)), { recursive: true })
    await writeFile(join(root, rel), bytes)
  }

  it('resolves a UI workflow against the disk, the S3 source and its URLs; the S3 ones queue and land', async () => {
    await place('text_encoders/clip_l.safetensors', await s3.get('mirror/text_encoders/clip_l.safetensors'))
    const opened = await open('flux-template.json', await readFile(FLUX))
    expect(opened).toMatchObject({ name: 'flux-template.json', format: 'ui', container: 'json' })
    expect(opened.s3Source).toBe('s3://models/mirror/')
    expect(opened.s3Problem).toBeUndefined()
    expect(states(opened)).toEqual({
      'flux1-dev.safetensors': 'url',
      'clip_l.safetensors': 'installed',
      't5xxl_fp16.safetensors': 'url',
      'ae.safetensors': 's3',
      'flux/detail.safetensors': 's3',
      '4x-UltraSharp.pth': 'not_found',
      'adapters/fancy-v2.gguf': 'not_found',
    })
    expect(opened.models.find((m) => m.name === 'adapters/fancy-v2.gguf')?.folder).toBe('unknown')
    expect(opened.models.find((m) => m.name === 'ae.safetensors')).toMatchObject({
      size: 3000,
      localPath: join(root, 'vae', 'ae.safetensors'),
      s3Uri: 's3://models/mirror/vae/ae.safetensors',
    })

    // What the window's "Download missing" sends: the queueable ones, through the ordinary enqueue.
    const entries = opened.models.filter(isQueueable).map(workflowEnqueueEntry)
    const result = await backend!.handlers['downloads:enqueue']({ entries })
    expect(result.queued.sort()).toEqual(
      [join(root, 'loras', 'flux', 'detail.safetensors'), join(root, 'vae', 'ae.safetensors')].sort(),
    )
    await expect
      .poll(async () => (await svc!.list()).map((r) => r.status), { timeout: 20_000 })
      .toEqual(['completed', 'completed'])
    expect(await readFile(join(root, 'vae', 'ae.safetensors'))).toEqual(
      await s3.get('mirror/vae/ae.safetensors'),
    )
  })

  it('reads a PNG that carries the workflow in its text chunk', async () => {
    const png = pngWithText([{ type: 'tEXt', keyword: 'workflow', text: await readFile(FLUX, 'latin1') }])
    const opened = await open('render.png', png)
    expect(opened.container).toBe('png:workflow')
    expect(states(opened)['ae.safetensors']).toBe('s3')
  })

  it('never hands a credential in a URL to the window', async () => {
    const graph = {
      nodes: [{ id: 1, type: 'LoraLoader', widgets_values: ['secret.safetensors', 1, 1] }],
      models: [
        {
          name: 'secret.safetensors',
          directory: 'loras',
          url: 'https://civitai.com/api/download/models/1?token=hunter2&type=Model',
        },
      ],
    }
    const opened = await open('civitai.json', Buffer.from(JSON.stringify(graph)))
    expect(opened.models[0]).toMatchObject({ state: 'url' })
    expect(opened.models[0]!.url).toContain('token=[REDACTED]')
    expect(JSON.stringify(opened)).not.toContain('hunter2')
  })

  it.each([
    ['a PNG without the chunk', 'plain.png', pngWithText([]), /plain\.png: a PNG without a ComfyUI workflow/],
    [
      'a non-workflow JSON',
      'list.json',
      Buffer.from('{"loras": {"a": {"modelName": "a"}}}'),
      /list\.json: JSON, but not a ComfyUI workflow/,
    ],
    [
      'a cut-off JSON',
      'cut.json',
      Buffer.from('{"nodes": [{"id": 1,'),
      /cut\.json: not valid JSON.*cut short/,
    ],
  ])('refuses %s with a message that says what it is', async (_what, name, bytes, message) => {
    const err = await rejection(open(name, bytes))
    expect(err.code).toBe('bad_request')
    expect(err.message).toMatch(message)
  })

  it('refuses bytes over the limit before decoding them, and decoded bytes over it in the reader', async () => {
    const api = (await start()).handlers
    const over = await rejection(
      api['workflow:open']({ name: 'huge.png', data: 'A'.repeat(MAX_WORKFLOW_BASE64_CHARS + 4) }),
    )
    expect(over.code).toBe('bad_request')
    expect(over.message).toMatch(/workflow:open request: data: must be at most 64 MiB/)
    // At the schema's bound exactly, base64 still decodes to 2 bytes over 64 MiB: the reader refuses.
    const edge = await rejection(
      api['workflow:open']({ name: 'huge.png', data: 'A'.repeat(MAX_WORKFLOW_BASE64_CHARS) }),
    )
    expect(edge.code).toBe('bad_request')
    expect(edge.message).toMatch(
      /huge\.png: the file is too large \(64\.0 MiB\); a workflow may be at most 64\.0 MiB/,
    )
    const notBase64 = await rejection(api['workflow:open']({ name: 'x.json', data: '{"nodes": []}' }))
    expect(notBase64.message).toMatch(/data: must be base64/)
  })

  it('still shows the table when the S3 source cannot be listed, and says why', async () => {
    await start('s3://no-such-bucket/mirror/')
    const opened = await backend!.handlers['workflow:open']({
      name: 'flux-template.json',
      data: (await readFile(FLUX)).toString('base64'),
    })
    expect(opened.s3Problem).toMatch(/no-such-bucket/)
    expect(states(opened)['ae.safetensors']).toBe('not_found')
    expect(states(opened)['t5xxl_fp16.safetensors']).toBe('url')
  })
})
