import { readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAppBackend, RECENT_CONFIGS_FILE, type AppBackend } from '../../../src/core/app/app-backend'
import { FileSettingsStore } from '../../../src/core/app/settings-store'
import type { DownloadService } from '../../../src/core/service/download-service'
import { statePaths } from '../../../src/core/service/state-paths'
import {
  type EventChannel,
  type EventContract,
  type LoadedConfig,
  type ModelInfo,
} from '../../../src/shared/api-contract'
import { ROOT } from '../../support/built'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { openService } from '../service/service-harness'
import { apiRejection as rejection } from '../../support/api-rejection'

const MiB = 1024 * 1024
const SIZES = { vae: 2 * MiB + 5, lora: 1 * MiB }
const temp = tempDirs()

type Seen = { channel: EventChannel; payload: unknown }

/** The old nested format: bucket-less keys (AWS_BUCKET_NAME applies) and {{NETWORK_VOLUME}} paths. */
function nestedConfig(overrides: Record<string, unknown> = {}): unknown {
  const m = (key: string, group: string, name: string, size: number) => ({
    originalS3Path: key,
    localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/${group}/${name}`,
    modelName: name,
    modelSize: size,
    directoryGroup: group,
  })
  return {
    vae: { ae: { ...m('models/vae/ae.safetensors', 'vae', 'ae.safetensors', SIZES.vae), ...overrides } },
    loras: { detail: m('models/loras/detail.safetensors', 'loras', 'detail.safetensors', SIZES.lora) },
  }
}

describe('the window backend against a real DownloadService, worker and s3rver', () => {
  let s3: TestS3Server
  let work: string
  let nv: string
  let root: string
  let stateDir: string
  /** Where the tests' config files are: a folder the user chose (as a native dialog or --config does). */
  let configDir: string
  let svc: DownloadService | null = null
  let backend: AppBackend | null = null
  let events: Seen[]

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/vae/ae.safetensors', SIZES.vae)
    await s3.putRandom('models/loras/detail.safetensors', SIZES.lora)
    await s3.putRandom('models/loras/sdxl/style.safetensors', 3 * MiB)
    await s3.put('models/loras/readme.txt', Buffer.from('not a model'))
    // Test connection and scans run in this process, with the SDK's credential chain: the environment.
    Object.assign(process.env, s3.env)
  })
  afterAll(async () => s3?.close())

  beforeEach(async () => {
    work = await temp.make('modeldl-backend-')
    nv = join(work, 'volume')
    root = join(nv, 'ComfyUI', 'models')
    stateDir = join(work, 'state')
    configDir = join(work, 'configs')
    await mkdir(root, { recursive: true })
    await mkdir(configDir)
    events = []
  })
  afterEach(async () => {
    await backend?.close()
    backend = null
    await svc?.close()
    svc = null
    await temp.cleanup()
  })

  const env = () => ({ NETWORK_VOLUME: nv, AWS_BUCKET_NAME: 'models', ...s3.env })

  async function start(): Promise<AppBackend> {
    svc ??= await openService(s3, stateDir, root)
    const service = svc
    const settings = await FileSettingsStore.open(join(stateDir, 'settings.json'), { env: env(), home: work })
    backend = await createAppBackend({
      service: { api: service, subscribe: (l) => service.on(l) },
      // The harness's worker gets no environment: the keys travel in its settings instead.
      applyServiceSettings: (s) => service.applySettings({ ...s, s3: { ...s.s3, ...TEST_CREDENTIALS } }),
      settings,
      paths: statePaths(stateDir, {}),
      ownerKind: 'cli',
      shell: 'browser',
      version: '9.9.9',
      env: env(),
      sampleConfigPath: join(ROOT, 'resources', 'sample-model-config.json'),
    })
    backend.onEvent((channel, payload) => events.push({ channel, payload }))
    backend.allowConfigFolder(configDir)
    return backend
  }

  function waitForEvent<C extends EventChannel>(
    channel: C,
    test: (payload: EventContract[C]) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<EventContract[C]> {
    return expect
      .poll(() => events.find((e) => e.channel === channel && test(e.payload as EventContract[C])), {
        timeout: timeoutMs,
        interval: 20,
      })
      .toBeDefined()
      .then(
        () =>
          events.find((e) => e.channel === channel && test(e.payload as EventContract[C]))!
            .payload as EventContract[C],
      )
  }

  async function writeConfig(name: string, json: unknown): Promise<string> {
    const path = join(configDir, name)
    await writeFile(path, JSON.stringify(json))
    return path
  }

  const toEntry = (m: ModelInfo) => ({
    group: m.group,
    modelName: m.modelName,
    s3Uri: m.s3Uri,
    localPath: m.localPath,
    expectedSize: m.expectedSize,
  })

  it('opens a config, remembers it, downloads from it, and follows the files on disk', async () => {
    const api = (await start()).handlers
    const path = await writeConfig('config.json', nestedConfig())
    const opened = await api['config:open']({ path })
    if (!opened.ok) throw new Error(opened.message)
    const config: LoadedConfig = opened.config
    expect(config.format).toBe('nested')
    expect(config.source).toEqual({ kind: 'file', path })
    expect(config.sources).toEqual(['s3://models/models/'])
    const vae = config.models.find((m) => m.group === 'vae')!
    const lora = config.models.find((m) => m.group === 'loras')!
    expect(vae).toMatchObject({
      id: join(root, 'vae', 'ae.safetensors'),
      entryId: 'vae/ae',
      s3Uri: 's3://models/models/vae/ae.safetensors',
      expectedSize: SIZES.vae,
    })
    expect(config.local).toEqual({ [vae.id]: { state: 'missing' }, [lora.id]: { state: 'missing' } })
    expect(await api['config:current']()).toEqual(config)
    expect(await api['config:recent']()).toEqual([path])
    await waitForEvent('config:changed', (c) => c?.loadedAt === config.loadedAt)

    const result = await api['downloads:enqueue']({ entries: config.models.map(toEntry) })
    expect(result.queued.sort()).toEqual([lora.id, vae.id].sort())
    for (const m of [vae, lora]) {
      await waitForEvent('downloads:changed', (d) =>
        d.records.some((r) => r.id === m.id && r.status === 'completed'),
      )
      await waitForEvent('local:changed', (c) => c[m.id]?.state === 'installed')
    }
    expect(events.some((e) => e.channel === 'downloads:progress')).toBe(true)
    expect(readFileSync(vae.localPath).equals(await s3.get('models/vae/ae.safetensors'))).toBe(true)
    const list = await api['downloads:list']()
    expect(list.map((r) => r.status)).toEqual(['completed', 'completed'])
    expect(await api['local:stat']({ models: [vae, lora] })).toEqual({
      [vae.id]: { state: 'installed' },
      [lora.id]: { state: 'installed' },
    })

    // Deleted by hand: the models folder watcher notices, and only that model is reported.
    const before = events.length
    await rm(vae.localPath)
    const changed = await waitForEvent('local:changed', (c) => c[vae.id]?.state === 'missing')
    expect(Object.keys(changed)).toEqual([vae.id])
    expect(events.slice(before).filter((e) => e.channel === 'local:changed')).toHaveLength(1)
  })

  it('answers a config with problems with each entry and field, and keeps the current one', async () => {
    const api = (await start()).handlers
    const good = await api['config:open']({ path: await writeConfig('good.json', nestedConfig()) })
    expect(good.ok).toBe(true)
    const broken = nestedConfig({ modelSize: 'huge' }) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    broken['loras']!['detail']!['localPath'] = '/etc/detail.safetensors'
    const bad = await api['config:open']({ path: await writeConfig('bad.json', broken) })
    if (bad.ok) throw new Error('a bad config was accepted')
    expect(bad.message).toMatch(/bad\.json/)
    expect(bad.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entry: 'vae/ae', field: 'modelSize' }),
        expect.objectContaining({ entry: 'loras/detail', field: 'localPath' }),
      ]),
    )
    expect((await api['config:current']())?.source).toEqual({
      kind: 'file',
      path: join(configDir, 'good.json'),
    })
    expect(await api['config:recent']()).toEqual([join(configDir, 'good.json')])
    expect(events.filter((e) => e.channel === 'config:changed')).toHaveLength(1)

    const notJson = await api['config:load']({ name: 'dropped.json', text: '{\n  "vae": {,\n}' })
    expect(notJson.ok).toBe(false)
    if (!notJson.ok) expect(notJson.issues[0]!.message).toMatch(/not valid JSON at line 2, column/)
    const missing = await api['config:open']({ path: join(configDir, 'nope.json') })
    expect(missing).toMatchObject({ ok: false, issues: [{ message: 'file not found' }] })

    const dropped = await api['config:load']({ name: 'dropped.json', text: JSON.stringify(nestedConfig()) })
    expect(dropped.ok && dropped.config.source).toEqual({ kind: 'text', name: 'dropped.json' })
  })

  it('keeps the ten most recent config files, most recent first, across restarts', async () => {
    const api = (await start()).handlers
    const paths: string[] = []
    for (let i = 0; i < 12; i++) {
      paths.push(await writeConfig(`c${i}.json`, nestedConfig()))
      expect((await api['config:open']({ path: paths[i]! })).ok).toBe(true)
    }
    expect((await api['config:open']({ path: paths[3]! })).ok).toBe(true)
    const expected = [
      paths[3],
      paths[11],
      paths[10],
      paths[9],
      paths[8],
      paths[7],
      paths[6],
      paths[5],
      paths[4],
      paths[2],
    ]
    expect(await api['config:recent']()).toEqual(expected)
    await backend!.close()
    const saved = JSON.parse(await readFile(join(stateDir, RECENT_CONFIGS_FILE), 'utf8')) as {
      recent: string[]
    }
    expect(saved.recent).toEqual(expected)
    expect(await (await start()).handlers['config:recent']()).toEqual(expected)
  })

  it('opens the shipped sample under the configured models root', async () => {
    const api = (await start()).handlers
    const sample = await api['config:openSample']()
    if (!sample.ok) throw new Error(sample.message)
    expect(sample.config.source).toEqual({ kind: 'sample' })
    expect(sample.config.models.length).toBeGreaterThan(5)
    for (const m of sample.config.models) expect(m.localPath.startsWith(`${root}/`)).toBe(true)
    expect(Object.values(sample.config.local).every((l) => l.state === 'missing')).toBe(true)
  })

  it('validates settings, applies them to the running service at once, and tells every window', async () => {
    const api = (await start()).handlers
    const tooMany = await rejection(api['settings:update']({ concurrency: 65 }))
    expect(tooMany.code).toBe('bad_request')
    expect(tooMany.message).toMatch(/concurrency/)
    const keys = await rejection(
      api['settings:update']({ s3: { accessKeyId: 'AKIA0000', secretAccessKey: 's' } }),
    )
    expect(keys.code).toBe('forbidden')
    expect((await svc!.status()).settings.concurrency).toBe(2)

    const view = await api['settings:update']({ concurrency: 4, bandwidthLimitBps: 3 * MiB })
    expect(view.settings).toMatchObject({ concurrency: 4, bandwidthLimitBps: 3 * MiB })
    expect((await svc!.status()).settings).toMatchObject({ concurrency: 4, bandwidthLimitBps: 3 * MiB })
    const pushed = await waitForEvent('settings:changed')
    expect(pushed.settings.concurrency).toBe(4)
    expect(await api['settings:get']()).toEqual(view)
    expect(JSON.parse(await readFile(join(stateDir, 'settings.json'), 'utf8'))).toMatchObject({
      concurrency: 4,
    })
  })

  it('tests the connection with a clear message for each failure', async () => {
    const api = (await start()).handlers
    const nothing = await api['settings:testConnection']({ draft: { s3: { bucket: '' } } })
    // AWS_BUCKET_NAME is in effect, so the saved settings do name a bucket; the draft empties it.
    expect(nothing).toMatchObject({ ok: false, message: expect.stringMatching(/set a bucket/) })

    const listed = await api['settings:testConnection']({})
    expect(listed).toMatchObject({
      ok: true,
      message: expect.stringMatching(/s3:\/\/models\/ can be listed/),
    })
    expect(listed.elapsedMs).toBeGreaterThanOrEqual(0)

    const head = await api['settings:testConnection']({ s3Uri: 's3://models/models/vae/ae.safetensors' })
    expect(head).toMatchObject({ ok: true, message: expect.stringMatching(/is there \(2\.1 MB\)/) })

    const noObject = await api['settings:testConnection']({ s3Uri: 's3://models/models/none.safetensors' })
    expect(noObject).toMatchObject({
      ok: false,
      message: expect.stringMatching(/Nothing at s3:\/\/models\/models\/none/),
    })

    const wrongBucket = await api['settings:testConnection']({
      draft: { sourceUri: 's3://no-such-bucket/x/' },
    })
    expect(wrongBucket).toMatchObject({
      ok: false,
      message: expect.stringMatching(/bucket "no-such-bucket" does not exist/),
    })

    const refused = await api['settings:testConnection']({
      draft: { s3: { endpoint: 'http://127.0.0.1:1' } },
    })
    expect(refused).toMatchObject({
      ok: false,
      message: expect.stringMatching(/connection refused.*endpoint URL/),
    })
    // A draft is only tried, never saved.
    expect((await api['settings:get']()).settings.s3.endpoint).toBe(s3.endpoint)

    const bad = await rejection(api['settings:testConnection']({ draft: { concurrency: 0 } }))
    expect(bad.code).toBe('bad_request')
  })

  it('scans a source page by page, remembers it, and follows the local state of what it found', async () => {
    const api = (await start()).handlers
    const { scanId } = await api['scan:start']({ uri: 's3://models/models/' })
    const done = await waitForEvent('scan:progress', (p) => p.scanId === scanId && p.done)
    expect(done.error).toBeUndefined()
    const pages = events
      .filter((e) => e.channel === 'scan:progress')
      .map((e) => e.payload as EventContract['scan:progress'])
      .filter((p) => p.scanId === scanId)
    const models = pages.flatMap((p) => p.models)
    expect(models.map((m) => m.entryId).sort()).toEqual([
      'loras/detail.safetensors',
      'loras/sdxl/style.safetensors',
      'vae/ae.safetensors',
    ])
    expect(done.listed).toBe(4)
    expect(done.folders).toEqual(expect.arrayContaining(['loras', 'loras/sdxl', 'vae']))
    const style = models.find((m) => m.modelName === 'style.safetensors')!
    expect(style).toMatchObject({
      localPath: join(root, 'loras', 'sdxl', 'style.safetensors'),
      local: { state: 'missing' },
    })
    await waitForEvent('settings:changed', (v) => v.settings.sourceUri === 's3://models/models/')

    // A copy made by hand shows up as installed.
    await mkdir(join(root, 'loras', 'sdxl'), { recursive: true })
    await writeFile(style.localPath, Buffer.alloc(3 * MiB))
    await waitForEvent('local:changed', (c) => c[style.id]?.state === 'installed')

    const failed = await api['scan:start']({ uri: 's3://no-such-bucket/models/' })
    const failure = await waitForEvent('scan:progress', (p) => p.scanId === failed.scanId && p.done)
    expect(failure.error?.code).toBe('not_found')
    await api['scan:cancel']({ scanId: 'not-a-scan' })
  })

  it('says which channels only the desktop app has, and reports who owns the queue', async () => {
    const api = (await start()).handlers
    for (const call of [
      () => api['dialog:openConfig'](),
      () => api['dialog:saveConfigPath'](),
      () => api['shell:reveal']({ id: join(root, 'x') }),
    ]) {
      const err = await rejection(call())
      expect(err.code).toBe('unsupported')
      expect(err.message).toMatch(/desktop app/)
    }
    expect(await api['app:info']()).toEqual({
      version: '9.9.9',
      shell: 'browser',
      ownerKind: 'cli',
      stateDir,
      platform: process.platform,
      capabilities: { dialogs: false, reveal: false, notifications: false },
    })
    const notFound = await rejection(api['downloads:cancel']({ path: join(root, 'nothing') }))
    expect(notFound.code).toBe('not_found')
  })
})
