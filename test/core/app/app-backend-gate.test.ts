// The gate, tried from a window's side: the handlers the IPC and WebSocket doors are given (the same
// object), with a real DownloadService, settings file and disk. Each request tries to go around a rule
// the CLI keeps: a path outside the models root, a config file the user never chose, a root of "/".
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAppBackend, type AppBackend } from '../../../src/core/app/app-backend'
import { FileSettingsStore } from '../../../src/core/app/settings-store'
import type { DownloadService } from '../../../src/core/service/download-service'
import { statePaths } from '../../../src/core/service/state-paths'
import { ROOT } from '../../support/built'
import { apiRejection as rejection } from '../../support/api-rejection'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { openService } from '../service/service-harness'

const temp = tempDirs()

describe('the window backend refuses what the models root does not allow', () => {
  let s3: TestS3Server
  let work: string
  let root: string
  let outside: string
  let svc: DownloadService | null = null
  let backend: AppBackend | null = null

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
  })
  afterAll(async () => s3?.close())

  beforeEach(async () => {
    work = await temp.make('modeldl-gate-')
    root = join(work, 'models')
    outside = join(work, 'elsewhere')
    await mkdir(join(root, 'loras'), { recursive: true })
    await mkdir(outside)
  })
  afterEach(async () => {
    await backend?.close()
    backend = null
    await svc?.close()
    svc = null
    await temp.cleanup()
  })

  async function start(): Promise<AppBackend> {
    const stateDir = join(work, 'state')
    svc = await openService(s3, stateDir, root)
    const service = svc
    // The root comes from settings.json, which a window may change (MODELDL_MODELS_ROOT would win over it).
    await mkdir(stateDir, { recursive: true })
    await writeFile(join(stateDir, 'settings.json'), JSON.stringify({ modelsRoots: [root] }))
    const env = {}
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

  const entry = (localPath: string, extra: Record<string, unknown> = {}) => ({
    group: 'loras',
    modelName: 'x.safetensors',
    s3Uri: 's3://models/loras/x.safetensors',
    localPath,
    expectedSize: 1,
    ...extra,
  })

  it('downloads:enqueue: a path outside the root, or a link from one, queues nothing', async () => {
    const api = (await start()).handlers
    const inside = join(root, 'loras', 'a.safetensors')
    for (const bad of [
      [entry(inside), entry(join(outside, 'b.safetensors'))],
      [entry(inside, { symLinkedFrom: join(outside, 'victim') })],
      [entry(join(root, 'loras', '..', '..', 'elsewhere', 'c.safetensors'))],
      [entry(root)],
    ]) {
      const err = await rejection(api['downloads:enqueue']({ entries: bad }))
      expect(err.code, JSON.stringify(bad)).toMatch(/forbidden|bad_request/)
      expect(err.message).toMatch(/entries\.\d\.(localPath|symLinkedFrom)/)
    }
    expect(await api['downloads:list']()).toEqual([])
  })

  it('downloads:enqueue: a folder that leads outside through a symlink is outside', async () => {
    const api = (await start()).handlers
    await symlink(outside, join(root, 'escape'))
    const err = await rejection(
      api['downloads:enqueue']({ entries: [entry(join(root, 'escape', 'x.safetensors'))] }),
    )
    expect(err.code).toBe('forbidden')
    expect(err.message).toContain('through a symlink')
    expect(await api['downloads:list']()).toEqual([])
  })

  it('local:stat answers only for paths inside the root', async () => {
    const api = (await start()).handlers
    await writeFile(join(outside, 'secret'), 'x')
    const err = await rejection(
      api['local:stat']({ models: [{ localPath: join(outside, 'secret'), expectedSize: 1 }] }),
    )
    expect(err.code).toBe('forbidden')
    expect(err.message).not.toContain('wrong_size')
    const inside = join(root, 'loras', 'a.safetensors')
    expect(await api['local:stat']({ models: [{ localPath: inside, expectedSize: 1 }] })).toEqual({
      [inside]: { state: 'missing' },
    })
  })

  it('config:open reads only configs in the root or in a folder the user chose', async () => {
    const b = await start()
    const api = b.handlers
    const config = join(outside, 'models.json')
    await writeFile(config, '{"a": 1}')
    for (const path of [config, '/etc/passwd', join(root, '..', 'elsewhere', 'models.json')]) {
      const err = await rejection(api['config:open']({ path }))
      expect(err.code, path).toMatch(/forbidden|bad_request/)
      expect(err.message, path).not.toContain('JSON')
    }
    // The user chose the folder (a native dialog, --config): now it opens (and says what is wrong).
    b.allowConfigFolder(outside)
    const opened = await api['config:open']({ path: config })
    expect(opened.ok).toBe(false)
    // A hidden file in a chosen folder is still not a config.
    await writeFile(join(outside, '.bashrc'), 'x')
    expect((await rejection(api['config:open']({ path: join(outside, '.bashrc') }))).code).toBe('forbidden')
  })

  it('config:save writes only where a config may be, never over a dotfile outside', async () => {
    const api = (await start()).handlers
    const dotfile = join(outside, '.profile')
    await writeFile(dotfile, 'keep me')
    for (const path of [dotfile, join(outside, 'new', 'models.json'), '/etc/modeldl.json']) {
      const err = await rejection(api['config:save']({ path, mode: 'new', models: [] }))
      expect(err.code, path).toBe('forbidden')
    }
    expect(await readFile(dotfile, 'utf8')).toBe('keep me')
    await expect(stat(join(outside, 'new'))).rejects.toThrow(/ENOENT/)
  })

  it('settings:update refuses "/" and system folders as the models root, and a folder that is not there', async () => {
    const api = (await start()).handlers
    for (const modelsRoot of ['/', '/etc', '/usr/lib/x', '/proc/self', join(work, 'not-there')]) {
      const err = await rejection(api['settings:update']({ modelsRoot }))
      expect(err.code, modelsRoot).toBe('forbidden')
      expect(err.message, modelsRoot).toMatch(/^modelsRoot: /)
    }
    expect((await api['settings:get']()).settings.modelsRoot).toBe(root)
    // A root through a symlink that leads to "/" is "/".
    await symlink('/', join(work, 'slash'))
    expect((await rejection(api['settings:update']({ modelsRoot: join(work, 'slash') }))).code).toBe(
      'forbidden',
    )
    // A real folder of its own is fine, and the gate follows it at once.
    const next = join(work, 'models2')
    await mkdir(next)
    await api['settings:update']({ modelsRoot: next })
    const err = await rejection(
      api['downloads:enqueue']({ entries: [entry(join(root, 'loras', 'a.safetensors'))] }),
    )
    expect(err.message).toContain('outside the models roots')
  })

  it('validates every request in core, whichever door sent it', async () => {
    const api = (await start()).handlers as unknown as Record<string, (r: unknown) => Promise<unknown>>
    const err = await rejection(api['config:open']!({ path: 'relative.json' }))
    expect(err).toMatchObject({ code: 'bad_request' })
    expect(err.message).toContain('path: must be an absolute path')
    const bad = await rejection(
      api['local:stat']!({ models: [{ localPath: `${root}/\uD800x`, expectedSize: 1 }] }),
    )
    expect(bad.message).toContain('not valid UTF-8')
  })
})
