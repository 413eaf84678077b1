import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cliContext } from '../../../src/cli/cli-settings'
import {
  applySettingsPatch,
  defaultAppSettings,
  defaultModelsRoot,
  FileSettingsStore,
} from '../../../src/core/app/settings-store'
import type { SettingsView } from '../../../src/shared/settings'
import { tempDirs } from '../../support/temp'
import { apiRejection as rejection } from '../../support/api-rejection'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const MiB = 1024 * 1024

describe('settings defaults and patches (shared by the app and the CLI)', () => {
  it('puts the models root under NETWORK_VOLUME/ComfyUI/models, else ~/models; MODELDL_MODELS_ROOT wins', () => {
    expect(defaultModelsRoot({ NETWORK_VOLUME: '/workspace' }, '/home/u')).toBe('/workspace/ComfyUI/models')
    expect(defaultModelsRoot({}, '/home/u')).toBe('/home/u/models')
    expect(
      defaultModelsRoot({ NETWORK_VOLUME: '/workspace', MODELDL_MODELS_ROOT: '/data/m/' }, '/home/u'),
    ).toBe('/data/m')
    const d = defaultAppSettings({}, '/home/u')
    expect(d).toMatchObject({ concurrency: 3, partSizeMiB: 64, bandwidthLimitBps: 0, sourceUri: '' })
    expect(d.s3).toMatchObject({ credentials: 'chain', accessKeyHint: '', forcePathStyle: true })
    expect(d.modelExtensions).toContain('.safetensors')
  })

  it('applies a patch without touching the original; keys only leave a hint; clearKeys goes back to the chain', () => {
    const base = defaultAppSettings({}, '/home/u')
    const next = applySettingsPatch(base, {
      concurrency: 5,
      s3: { bucket: 'models', credentials: 'keys', accessKeyId: 'AKIAEXAMPLEKEY', secretAccessKey: 'x' },
      modelExtensions: ['.GGUF', '.gguf', '.bin'],
    })
    expect(base.concurrency).toBe(3)
    expect(base.s3.bucket).toBe('')
    expect(next.concurrency).toBe(5)
    expect(next.s3).toMatchObject({ bucket: 'models', credentials: 'keys', accessKeyHint: 'AKIA…' })
    expect(JSON.stringify(next)).not.toContain('EXAMPLEKEY')
    expect(next.modelExtensions).toEqual(['.gguf', '.bin'])
    const cleared = applySettingsPatch(next, { s3: { clearKeys: true } })
    expect(cleared.s3).toMatchObject({ credentials: 'chain', accessKeyHint: '' })
  })
})

describe('FileSettingsStore (modeldl serve)', () => {
  it('writes what the window changes into settings.json, in the format every modeldl command reads', async () => {
    const dir = await temp.make('modeldl-settings-')
    const path = join(dir, 'settings.json')
    await writeFile(path, JSON.stringify({ maxConnections: 64, someFutureField: { kept: true } }))
    const store = await FileSettingsStore.open(path, { env: {}, home: dir })
    const seen: SettingsView[] = []
    store.onChange((v) => seen.push(v))
    const root = join(dir, 'models')
    const view = await store.update({
      concurrency: 5,
      partSizeMiB: 16,
      modelsRoot: root,
      bandwidthLimitBps: 1_000_000,
      s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'models', forcePathStyle: true },
    })
    expect(view.settings).toMatchObject({ concurrency: 5, partSizeMiB: 16, modelsRoot: root })
    expect(view.keyStorage.available).toBe(false)
    expect(view.keyStorage.reason).toMatch(/AWS credential chain/)
    expect(seen).toHaveLength(1)

    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    expect(file).toMatchObject({
      concurrency: 5,
      partSize: 16 * MiB,
      modelsRoots: [root],
      bandwidthLimitBps: 1_000_000,
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'models',
      maxConnections: 64,
      someFutureField: { kept: true },
    })

    // The other commands read the same file.
    const ctx = await cliContext({ home: dir }, {})
    expect(ctx.settings.concurrency).toBe(5)
    // The budget is the default 32 until the concurrency needs more (5 × 4 automatic connections is
    // less), as in serve and the app; an old file's maxConnections is kept in the file but not used.
    expect(ctx.settings.maxConnections).toBe(32)
    expect(ctx.settings).toEqual(store.serviceSettings())
    expect(ctx.settings.tuning.partSize).toBe(16 * MiB)
    expect(ctx.modelsRoots).toEqual([root])
    expect(ctx.defaultBucket).toBe('models')

    // Emptying a field removes it (an empty endpoint is not a URL to the CLI's schema).
    await store.update({ s3: { endpoint: '' } })
    expect(JSON.parse(await readFile(path, 'utf8'))).not.toHaveProperty('endpoint')
    await cliContext({ home: dir }, {})

    // A new store sees what was saved.
    const again = await FileSettingsStore.open(path, { env: {}, home: dir })
    expect(again.view().settings).toMatchObject({ concurrency: 5, partSizeMiB: 16, modelsRoot: root })
  })

  it('refuses a bad patch naming the field, and keys with forbidden, leaving the file alone', async () => {
    const dir = await temp.make('modeldl-settings-')
    const path = join(dir, 'settings.json')
    const store = await FileSettingsStore.open(path, { env: {}, home: dir })
    const tooMany = await rejection(store.update({ concurrency: 99 }))
    expect(tooMany.code).toBe('bad_request')
    expect(tooMany.message).toMatch(/concurrency: must be at most 64/)
    const notAbsolute = await rejection(store.update({ modelsRoot: 'models' }))
    expect(notAbsolute.message).toMatch(/modelsRoot: must be an absolute path/)
    const unknown = await rejection(store.update({ colour: 'red' } as never))
    expect(unknown.code).toBe('bad_request')
    const keys = await rejection(store.update({ s3: { accessKeyId: 'AKIA1234', secretAccessKey: 'secret' } }))
    expect(keys.code).toBe('forbidden')
    expect(keys.message).toMatch(/never stores keys/)
    const keysMode = await rejection(store.update({ s3: { credentials: 'keys' } }))
    expect(keysMode.code).toBe('forbidden')
    await expect(readFile(path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' })
    expect(store.credentials()).toBeUndefined()
  })

  it('shows what is in effect: the variables every command honours, then flags, over the file', async () => {
    const dir = await temp.make('modeldl-settings-')
    const path = join(dir, 'settings.json')
    await writeFile(path, JSON.stringify({ endpoint: 'http://file:1', bucket: 'from-file', concurrency: 2 }))
    const env = {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568',
      AWS_BUCKET_NAME: 'from-env',
      NETWORK_VOLUME: join(dir, 'nv'),
    }
    const store = await FileSettingsStore.open(path, { env, home: dir })
    expect(store.view().settings).toMatchObject({
      s3: { endpoint: 'http://127.0.0.1:4568', bucket: 'from-env' },
      concurrency: 2,
      networkVolume: join(dir, 'nv'),
      modelsRoot: join(dir, 'nv', 'ComfyUI', 'models'),
    })
    // The window is told which fields come from elsewhere than the file.
    expect(store.view().overriddenBy).toEqual({
      's3.endpoint': 'AWS_ENDPOINT_URL_S3',
      's3.bucket': 'AWS_BUCKET_NAME',
      networkVolume: 'NETWORK_VOLUME',
    })
    const flagged = await FileSettingsStore.open(path, {
      env,
      home: dir,
      overrides: { modelsRoot: '/srv/models' },
    })
    expect(flagged.view().settings.modelsRoot).toBe('/srv/models')
    expect(flagged.view().overriddenBy).toMatchObject({ modelsRoot: 'a command-line flag' })
    expect(flagged.serviceSettings().modelsRoots).toEqual(['/srv/models'])
    // Only patched fields are written: the variables' values never end up in the file.
    await store.update({ concurrency: 4 })
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      endpoint: 'http://file:1',
      bucket: 'from-file',
      concurrency: 4,
    })
  })

  it('rejects a damaged settings file with its path in the message', async () => {
    const dir = await temp.make('modeldl-settings-')
    const path = join(dir, 'settings.json')
    await writeFile(path, '{"concurrency": 0}')
    await expect(FileSettingsStore.open(path, { env: {} })).rejects.toThrow(
      `The settings file ${path} is not valid: "concurrency" should be at least 1, but is 0. ` +
        'Fix or remove that setting.',
    )
    await writeFile(path, '{oops')
    await expect(FileSettingsStore.open(path, { env: {} })).rejects.toThrow(/not valid JSON/)
  })
})

describe('FileSettingsStore follows the file when another process writes it', () => {
  const waitFor = async <T>(probe: () => T | undefined, ms = 3_000): Promise<T> => {
    const deadline = Date.now() + ms
    for (;;) {
      const value = probe()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  it("tells its windows of another store's write, and keeps the settings in effect when the file is broken", async () => {
    const dir = await temp.make('modeldl-settings-')
    const path = join(dir, 'state', 'settings.json')
    const warnings: string[] = []
    const mine = await FileSettingsStore.open(path, {
      env: {},
      home: dir,
      log: (_level, message) => warnings.push(message),
    })
    const other = await FileSettingsStore.open(path, { env: {}, home: dir, watch: false })
    try {
      const seen: SettingsView[] = []
      mine.onChange((v) => seen.push(v))
      const t0 = Date.now()
      await other.update({ concurrency: 9, connectionsPerFile: 0 })
      const view = await waitFor(() => seen.at(-1))
      expect(Date.now() - t0).toBeLessThan(2_000)
      expect(view.settings.concurrency).toBe(9)
      expect(mine.serviceSettings()).toMatchObject({ concurrency: 9, maxConnections: 36 })
      expect(seen).toHaveLength(1)

      await writeFile(path, '{"concurrency": "nine"')
      await waitFor(() => (warnings.length > 0 ? true : undefined))
      expect(warnings[0]).toMatch(/settings\.json is not valid JSON .*settings in effect stay as they were/)
      expect(mine.view().settings.concurrency).toBe(9)
      expect(seen).toHaveLength(1)
      // A window's save does not overwrite what the user is fixing by hand: it says why.
      const refused = await rejection(mine.update({ concurrency: 2 }))
      expect(refused.code).toBe('unavailable')
      expect(refused.message).toMatch(/not valid JSON.*Nothing was saved/)
    } finally {
      mine.close()
      other.close()
    }
  })
})
