// The window's URL downloads, through the gated handlers both doors are given: workflow:download (S3
// and URL rows of an opened workflow, built on the service's side from the URLs the window never saw)
// and url:lookup / url:download (one URL typed in). Real parts: a DownloadService with its worker,
// s3rver, and the project's HTTPS look-alikes of Hugging Face and CivitAI.
import { createHash } from 'node:crypto'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAppBackend, type AppBackend } from '../../../src/core/app/app-backend'
import { KEPT_WORKFLOWS } from '../../../src/core/app/opened-workflows'
import { FileSettingsStore } from '../../../src/core/app/settings-store'
import type { DownloadService } from '../../../src/core/service/download-service'
import { statePaths } from '../../../src/core/service/state-paths'
import { MAX_URL_CHARS } from '../../../src/shared/limits'
import type { OpenedWorkflow } from '../../../src/shared/workflow'
import { apiRejection as rejection } from '../../support/api-rejection'
import { ROOT } from '../../support/built'
import { startModelHostsServer, type ModelHostsServer } from '../../support/model-hosts-server'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'
import { makeTempDir, removeTempDir, tempDirs } from '../../support/temp'
import { makeTestCertificates, type TestCertificates } from '../../support/tls-ca'
import { openService } from '../service/service-harness'

const temp = tempDirs()
const KiB = 1024
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

describe('URL downloads from a window (the backend, s3rver, HTTPS model hosts)', () => {
  let s3: TestS3Server
  let hosts: ModelHostsServer
  let certs: TestCertificates
  let certDir: string
  let work: string
  let root: string
  let svc: DownloadService | null = null
  let backend: AppBackend | null = null

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('mirror/vae/ae.safetensors', 300 * KiB)
    certDir = await makeTempDir('modeldl-url-certs-')
    certs = makeTestCertificates(certDir)
    hosts = await startModelHostsServer(certs)
    Object.assign(process.env, s3.env)
  })
  afterAll(async () => {
    await hosts?.close()
    await s3?.close()
    await removeTempDir(certDir)
  })
  beforeEach(async () => {
    work = await temp.make('modeldl-url-dl-')
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

  /** CivitAI's token only in the URLs (no CIVITAI_API_TOKEN): what lets a download through is the URL's own. */
  async function start(extraEnv: Record<string, string> = {}): Promise<AppBackend> {
    const stateDir = join(work, 'state')
    const env = {
      ...s3.env,
      HF_ENDPOINT: hosts.origin,
      CIVITAI_BASE_URL: hosts.origin,
      ...extraEnv,
    }
    svc = await openService(s3, stateDir, root, {}, { ...env, NODE_EXTRA_CA_CERTS: certs.caFile })
    const service = svc
    await mkdir(stateDir, { recursive: true })
    await writeFile(
      join(stateDir, 'settings.json'),
      JSON.stringify({ modelsRoots: [root], sourceUri: 's3://models/mirror/' }),
    )
    backend = await createAppBackend({
      service: { api: service, subscribe: (l) => service.on(l) },
      applyServiceSettings: (s) => service.applySettings({ ...s, s3: { ...s.s3, ...TEST_CREDENTIALS } }),
      settings: await FileSettingsStore.open(join(stateDir, 'settings.json'), { env, home: work }),
      paths: statePaths(stateDir, {}),
      ownerKind: 'cli',
      shell: 'browser',
      version: '9.9.9',
      env,
      httpCa: [certs.ca],
      sampleConfigPath: join(ROOT, 'resources', 'sample-model-config.json'),
    })
    return backend
  }

  const openGraph = (graph: unknown, name = 'wf.json'): Promise<OpenedWorkflow> =>
    backend!.handlers['workflow:open']({ name, data: Buffer.from(JSON.stringify(graph)).toString('base64') })

  it('workflow:download queues the S3 row and the URL rows with looked-up sizes; a 404 is reported, the rest land', async () => {
    const hf = hosts.addHf('org/loras', 'hf-detail.safetensors', 200 * KiB)
    const civ = hosts.addCivitai(4242, 'whatever-the-host-says.safetensors', 150 * KiB)
    const civUrl = `${civ.url}?type=Model&token=${hosts.civitaiToken}`
    const gone = 'https://huggingface.co/org/loras/resolve/main/gone.safetensors'
    const graph = {
      nodes: [
        { id: 1, type: 'VAELoader', widgets_values: ['ae.safetensors'] },
        { id: 2, type: 'LoraLoader', widgets_values: ['hf-detail.safetensors', 1, 1] },
        { id: 3, type: 'CheckpointLoaderSimple', widgets_values: ['civit.safetensors'] },
        { id: 4, type: 'LoraLoader', widgets_values: ['gone.safetensors', 1, 1] },
      ],
      models: [
        { name: 'hf-detail.safetensors', directory: 'loras', url: hf.url },
        { name: 'civit.safetensors', directory: 'checkpoints', url: civUrl },
        { name: 'gone.safetensors', directory: 'loras', url: gone },
      ],
    }
    await start()
    const opened = await openGraph(graph)
    expect(opened.workflowId).toMatch(/^[0-9a-f-]{36}$/)
    expect(Object.fromEntries(opened.models.map((m) => [m.name, m.state]))).toEqual({
      'ae.safetensors': 's3',
      'hf-detail.safetensors': 'url',
      'civit.safetensors': 'url',
      'gone.safetensors': 'url',
    })
    // The window's copy never had the token; the request names rows, not URLs.
    expect(JSON.stringify(opened)).not.toContain(hosts.civitaiToken)

    const result = await backend!.handlers['workflow:download']({
      workflowId: opened.workflowId,
      names: opened.models.map((m) => `${m.folder}/${m.name}`),
    })
    const civPath = join(root, 'checkpoints', 'civit.safetensors')
    const hfPath = join(root, 'loras', 'hf-detail.safetensors')
    const aePath = join(root, 'vae', 'ae.safetensors')
    expect(result.enqueued?.queued.sort()).toEqual([civPath, aePath, hfPath].sort())
    expect(result.notQueued).toHaveLength(1)
    expect(result.notQueued[0]!.name).toBe('loras/gone.safetensors')
    expect(result.notQueued[0]!.reason).toMatch(/gone\.safetensors could not be looked up: Not found.*404/)

    const records = new Map((await svc!.list()).map((r) => [r.id, r]))
    expect(records.get(hfPath)).toMatchObject({ url: hf.url, expectedSize: 200 * KiB })
    // The token stays on the service's side, in the queue that needs it.
    expect(records.get(civPath)).toMatchObject({ url: civUrl, expectedSize: 150 * KiB })
    await expect
      .poll(async () => (await svc!.list()).map((r) => r.status), { timeout: 30_000 })
      .toEqual(['completed', 'completed', 'completed'])
    expect(sha256(await readFile(hfPath))).toBe(hf.file.sha256)
    expect(sha256(await readFile(civPath))).toBe(civ.file.sha256)
    expect(await readFile(aePath)).toEqual(await s3.get('mirror/vae/ae.safetensors'))
  })

  it('workflow:download refuses an unknown id, names rows it does not have, and forgets the oldest workflows', async () => {
    await start()
    const graph = { nodes: [{ id: 1, type: 'VAELoader', widgets_values: ['ae.safetensors'] }] }
    const unknown = await rejection(
      backend!.handlers['workflow:download']({ workflowId: 'no-such-id', names: ['vae/ae.safetensors'] }),
    )
    expect(unknown.code).toBe('not_found')
    expect(unknown.message).toMatch(/no longer open on the service.*open the workflow again/)

    const first = await openGraph(graph)
    for (let i = 0; i < KEPT_WORKFLOWS; i++) await openGraph(graph)
    const forgotten = await rejection(
      backend!.handlers['workflow:download']({ workflowId: first.workflowId, names: ['vae/ae.safetensors'] }),
    )
    expect(forgotten.message).toMatch(/open the workflow again/)

    const last = await openGraph(graph)
    const result = await backend!.handlers['workflow:download']({
      workflowId: last.workflowId,
      names: ['vae/not-in-it.safetensors'],
    })
    expect(result).toEqual({
      enqueued: null,
      notQueued: [{ name: 'vae/not-in-it.safetensors', reason: 'this workflow has no such model' }],
    })
    expect(await svc!.list()).toEqual([])
  })

  it('workflow:download reports a URL at a private address instead of looking it up', async () => {
    await start()
    const before = hosts.requests.length
    const opened = await openGraph({
      nodes: [{ id: 1, type: 'LoraLoader', widgets_values: ['lan.safetensors', 1, 1] }],
      models: [{ name: 'lan.safetensors', directory: 'loras', url: `${hosts.origin}/api/download/models/1` }],
    })
    const result = await backend!.handlers['workflow:download']({
      workflowId: opened.workflowId,
      names: ['loras/lan.safetensors'],
    })
    expect(result.enqueued).toBeNull()
    expect(result.notQueued[0]!.reason).toMatch(/127\.0\.0\.1 is a private address/)
    expect(hosts.requests.length).toBe(before)
  })

  it('url:lookup names and sizes a CivitAI URL from the host and queues nothing; url:download queues it and it lands', async () => {
    const civ = hosts.addCivitai(777, 'detail_tweaker.safetensors', 120 * KiB + 5)
    const url = `${civ.url}?token=${hosts.civitaiToken}`
    const api = (await start()).handlers
    const info = await api['url:lookup']({ url, folder: 'sdxl/loras/' })
    const target = join(root, 'sdxl', 'loras', 'detail_tweaker.safetensors')
    expect(info).toEqual({
      name: 'detail_tweaker.safetensors',
      size: 120 * KiB + 5,
      localPath: target,
      url: `${civ.url}?token=[REDACTED]`,
    })
    expect(await svc!.list()).toEqual([])

    const queued = await api['url:download']({ url, folder: 'sdxl/loras' })
    expect(queued.enqueued.queued).toEqual([target])
    expect(JSON.stringify(queued)).not.toContain(hosts.civitaiToken)
    await expect.poll(async () => (await svc!.list())[0]?.status, { timeout: 30_000 }).toBe('completed')
    expect(sha256(await readFile(target))).toBe(civ.file.sha256)
    expect((await svc!.list())[0]).toMatchObject({ group: 'sdxl/loras', url })
  })

  it.each([
    [
      'a folder with ..',
      { folder: '../x' },
      'bad_request',
      /Folder "\.\.\/x": must stay under the models root/,
    ],
    ['a folder ending up above the root', { folder: 'loras/../../x' }, 'bad_request', /no \.\./],
    ['an absolute folder', { folder: '/etc' }, 'bad_request', /not an absolute path/],
    [
      'a file: URL',
      { url: 'file:///etc/passwd' },
      'forbidden',
      /Only https URLs are downloaded; file:\/\/\/etc\/passwd uses file:/,
    ],
    ['an http URL', { url: 'http://huggingface.co/a/resolve/main/b.safetensors' }, 'forbidden', /uses http:/],
    ['not a URL', { url: 'detail_tweaker.safetensors' }, 'forbidden', /This is not a URL/],
    [
      'a URL at 127.0.0.1',
      { url: 'https://127.0.0.1:9/x.safetensors' },
      'forbidden',
      /127\.0\.0\.1 is a private address.*MODELDL_ALLOW_PRIVATE_URLS=1/,
    ],
    [
      'a URL at localhost',
      { url: 'https://localhost:9/x.safetensors' },
      'forbidden',
      /localhost is a private address/,
    ],
  ])(
    'url:lookup and url:download refuse %s with a clear error, asking no host and queuing nothing',
    async (_what, bad, code, message) => {
      const api = (await start()).handlers
      const before = hosts.requests.length
      const request = {
        url: 'https://huggingface.co/org/a/resolve/main/a.safetensors',
        folder: 'loras',
        ...bad,
      }
      for (const channel of ['url:lookup', 'url:download'] as const) {
        const err = await rejection(api[channel](request))
        expect(err.code).toBe(code)
        expect(err.message).toMatch(message)
      }
      expect(hosts.requests.length).toBe(before)
      expect(await svc!.list()).toEqual([])
    },
  )

  it('url:download says what the host answered: a 404 is not_found', async () => {
    const api = (await start()).handlers
    const missing = await rejection(
      api['url:download']({
        url: 'https://huggingface.co/org/a/resolve/main/none.safetensors',
        folder: 'loras',
      }),
    )
    expect(missing.code).toBe('not_found')
    expect(missing.message).toMatch(/Not found: .*none\.safetensors \(404\)/)
    expect(await svc!.list()).toEqual([])
  })

  it('a folder that is a link out of the models root is the gate’s to refuse', async () => {
    const outside = join(work, 'elsewhere')
    await mkdir(outside)
    await symlink(outside, join(root, 'loras'))
    hosts.addHf('org/linked', 'l.safetensors', 10 * KiB)
    const api = (await start()).handlers
    const err = await rejection(
      api['url:download']({
        url: 'https://huggingface.co/org/linked/resolve/main/l.safetensors',
        folder: 'loras',
      }),
    )
    expect(err.code).toBe('forbidden')
    expect(err.message).toMatch(/outside|models root/i)
    expect(await svc!.list()).toEqual([])
  })

  it('refuses requests over the limits before any handler runs', async () => {
    const api = (await start()).handlers
    const before = hosts.requests.length
    const long = `https://huggingface.co/${'a'.repeat(MAX_URL_CHARS)}`
    const tooLong = await rejection(api['url:lookup']({ url: long, folder: 'loras' }))
    expect(tooLong.message).toMatch(/url: must be at most 4096 characters/)
    const many = await rejection(
      api['workflow:download']({
        workflowId: 'x',
        names: Array.from({ length: 1001 }, (_, i) => `loras/${i}`),
      }),
    )
    expect(many.message).toMatch(/names: must be at most 1000 rows/)
    const wide = await rejection(api['workflow:download']({ workflowId: 'x', names: ['n'.repeat(513)] }))
    expect(wide.message).toMatch(/names\.0: must be at most 512 characters/)
    expect(hosts.requests.length).toBe(before)
  })

  it('MODELDL_ALLOW_PRIVATE_URLS=1 lets a window fetch from a mirror on a private address', async () => {
    const civ = hosts.addCivitai(31, 'lan.safetensors', 20 * KiB)
    const api = (await start({ MODELDL_ALLOW_PRIVATE_URLS: '1' })).handlers
    const url = `${hosts.origin}/api/download/models/31?token=${hosts.civitaiToken}`
    const info = await api['url:lookup']({ url, folder: 'loras' })
    expect(info).toMatchObject({ name: 'lan.safetensors', size: civ.file.bytes.length })
  })

  it('downloads:enqueue refuses an entry whose URL is at a private address: nothing is queued', async () => {
    const api = (await start()).handlers
    const entry = (url: string, name: string) => ({
      group: 'loras',
      modelName: name,
      url,
      localPath: join(root, 'loras', name),
      expectedSize: 10,
    })
    const err = await rejection(
      api['downloads:enqueue']({
        entries: [
          entry('https://huggingface.co/org/a/resolve/main/a.safetensors', 'a.safetensors'),
          entry('https://10.0.0.7/b.safetensors', 'b.safetensors'),
        ],
      }),
    )
    expect(err.code).toBe('forbidden')
    expect(err.message).toMatch(/^entries\.1\.url: 10\.0\.0\.7 is a private address/)
    expect(await svc!.list()).toEqual([])
  })
})
