// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { createCommands, describeEnqueue, type Commands } from '../../../src/renderer/src/store/commands'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import {
  enqueueResult,
  loadedConfig,
  localState,
  MB,
  modelInfo,
  modelRecord,
  scannedModel,
  scanPage,
  settingsView,
} from '../support/fixtures'

const vae = modelInfo({ group: 'vae', modelName: 'ae.safetensors', sha256: 'ab'.repeat(32) })
const lora = modelInfo({ group: 'loras', modelName: 'detail.safetensors', expectedSize: 5 * MB })
const clip = modelInfo({
  group: 'text_encoders',
  modelName: 't5xxl.safetensors',
  symLinkedFrom: '/workspace/ComfyUI/models/clip/t5xxl.safetensors',
})

let fake: FakeApi
let store: AppStore
let commands: Commands

beforeEach(() => {
  fake = createFakeApi()
  store = createAppStore()
  commands = createCommands(fake.api, store)
  store.getState().applyConfig(loadedConfig([vae, lora, clip]))
})

const toasts = () => store.getState().toasts.map((t) => `${t.kind}: ${t.message}`)

describe('downloads', () => {
  it('enqueues the chosen models as entries of the service, keeping checksum and link source', async () => {
    await commands.download('downloads', [vae.id, clip.id])
    expect(fake.requestsOf('enqueue')).toEqual([
      {
        entries: [
          {
            group: 'vae',
            modelName: 'ae.safetensors',
            s3Uri: vae.s3Uri,
            localPath: vae.localPath,
            expectedSize: vae.expectedSize,
            sha256: vae.sha256,
          },
          {
            group: 'text_encoders',
            modelName: 't5xxl.safetensors',
            s3Uri: clip.s3Uri,
            localPath: clip.localPath,
            expectedSize: clip.expectedSize,
            symLinkedFrom: clip.symLinkedFrom,
          },
        ],
      },
    ])
  })

  it('says what the service did with them', async () => {
    fake.handle('enqueue', () =>
      enqueueResult({
        queued: [vae.id, lora.id],
        alreadyQueued: ['x'],
        alreadyComplete: ['y', 'z'],
        linked: ['w'],
      }),
    )
    await commands.download('downloads', [vae.id, lora.id])
    expect(toasts()).toEqual([
      'info: Queued 2 models · 1 already in the queue · 2 already complete on disk · 1 will be linked to another copy',
    ])
  })

  it('says so when nothing was queued', () => {
    expect(describeEnqueue(enqueueResult(), 3)).toBe('Nothing to queue among 3 models')
    expect(describeEnqueue(enqueueResult({ queued: ['a'] }), 1)).toBe('Queued 1 model')
  })

  it('shows the service’s message when the enqueue is refused', async () => {
    fake.failWith(
      'enqueue',
      'models/vae/ae.safetensors: localPath must sit inside the models root',
      'bad_request',
    )
    await commands.download('downloads', [vae.id])
    expect(toasts()).toEqual(['error: models/vae/ae.safetensors: localPath must sit inside the models root'])
  })

  it('asks nothing for an empty pick or ids that are not in the view', async () => {
    await commands.download('downloads', [])
    await commands.download('downloads', ['/not/in/the/config'])
    expect(fake.calls).toEqual([])
  })

  it('downloads the selection and clears it', async () => {
    store.getState().setSelected('downloads', [lora.id], true)
    await commands.downloadSelected('downloads')
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.localPath)).toEqual([lora.localPath])
    expect(store.getState().views.downloads.selected.size).toBe(0)
  })

  it('downloads only the missing models with Download missing', async () => {
    store.getState().mergeLocal({ [vae.id]: localState('installed') })
    store.getState().setRecords([modelRecord(clip, { status: 'queued' })])
    await commands.downloadMissing('downloads')
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.modelName)).toEqual(['detail.safetensors'])
  })

  it('downloads every model of the config with Download all', async () => {
    store.getState().mergeLocal({ [vae.id]: localState('installed') })
    await commands.downloadAll()
    expect(fake.requestsOf('enqueue')[0]?.entries).toHaveLength(3)
  })

  it('downloads models of the browse view from the scan', async () => {
    const scanned = scannedModel({ group: 'unet', modelName: 'x.gguf' })
    store.getState().scanStarting('s3://b/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [scanned] }))
    await commands.download('browse', [scanned.id])
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.modelName)).toEqual(['x.gguf'])
  })
})

describe('queue controls', () => {
  it.each(['pause', 'resume', 'cancel', 'retry'] as const)(
    '%s sends the ids and answers with the ones it acted on',
    async (method) => {
      fake.handle(method, () => [vae.id])
      await expect(commands[method]([vae.id, lora.id])).resolves.toEqual([vae.id])
      expect(fake.requestsOf(method)).toEqual([{ ids: [vae.id, lora.id] }])
    },
  )

  it.each([
    ['pauseAll', 'pause'],
    ['resumeAll', 'resume'],
    ['cancelAll', 'cancel'],
  ] as const)('%s applies to every model', async (command, method) => {
    await commands[command]()
    expect(fake.requestsOf(method)).toEqual([{ all: true }])
  })

  it('shows a refusal as an error toast and acts on nothing', async () => {
    fake.failWith('cancel', 'The service is not running: start it again from the tray', 'unavailable')
    await expect(commands.cancel([vae.id])).resolves.toEqual([])
    expect(toasts()).toEqual(['error: The service is not running: start it again from the tray'])
  })

  it('moves a model and leaves the new order to the service’s change event (no list)', async () => {
    await commands.move(lora.id, 'top')
    expect(fake.calls.map((c) => c.method)).toEqual(['move'])
    expect(fake.requestsOf('move')).toEqual([{ id: lora.id, position: 'top' }])
  })

  it('shows a refused move as an error', async () => {
    fake.failWith('move', 'That model is not in the queue any more', 'not_found')
    await commands.move(lora.id, 'down')
    expect(toasts()).toEqual(['error: That model is not in the queue any more'])
  })

  it('gives a reason even when the rejection has none', async () => {
    fake.handle('pause', () => Promise.reject(new Error('')))
    await commands.pause([vae.id])
    expect(toasts()[0]).toMatch(/^error: Something went wrong .*log file/)
  })
})

describe('loading a config', () => {
  const other = modelInfo({ group: 'unet', modelName: 'wan.safetensors' })

  it('applies a config that loaded, goes to the downloads screen and refreshes the recent list', async () => {
    fake.handle('openConfig', () => ({ ok: true, config: loadedConfig([other]) }))
    fake.handle('recentConfigs', () => ['/configs/b.json'])
    store.getState().setScreen('browse')
    await expect(commands.openConfigPath('/configs/b.json')).resolves.toBe(true)
    expect(fake.requestsOf('openConfig')).toEqual([{ path: '/configs/b.json' }])
    expect([...store.getState().models.keys()]).toEqual([other.id])
    expect(store.getState().screen).toBe('downloads')
    await vi.waitFor(() => expect(store.getState().recent).toEqual(['/configs/b.json']))
  })

  it('does not apply a config a second time when its config:changed event brought it first', async () => {
    const config = { ...loadedConfig([other]), loadedAt: '2026-12-01T10:00:00.000Z' }
    let fromEvent: unknown = null
    fake.handle('openConfig', () => {
      // The service tells every window before it answers this one.
      store.getState().applyConfig(config)
      fromEvent = store.getState().models
      return { ok: true, config: structuredClone(config) }
    })
    await commands.openConfigPath('/configs/b.json')
    expect(fromEvent).not.toBeNull()
    expect(store.getState().models).toBe(fromEvent)
    expect([...store.getState().models.keys()]).toEqual([other.id])

    // A later load of the same file is a new config (a new loadedAt): that one is applied.
    fake.handle('openConfig', () => ({
      ok: true,
      config: { ...config, loadedAt: '2026-12-01T10:05:00.000Z' },
    }))
    await commands.openConfigPath('/configs/b.json')
    expect(store.getState().models).not.toBe(fromEvent)
    expect(store.getState().config?.loadedAt).toBe('2026-12-01T10:05:00.000Z')
  })

  it('is loading while the service reads the config', async () => {
    fake.hold('loadConfigText')
    const loading = commands.loadConfigText('dropped.json', '{}')
    expect(store.getState().configLoading).toBe(true)
    expect(fake.requestsOf('loadConfigText')).toEqual([{ name: 'dropped.json', text: '{}' }])
    fake.held('loadConfigText').resolve({ ok: true, config: loadedConfig([other]) })
    await loading
    expect(store.getState().configLoading).toBe(false)
  })

  it('keeps the config that was there and shows each problem of one that was rejected', async () => {
    const issues = [{ entry: 'loras/detail', field: 'modelSize', message: 'must be a number of bytes' }]
    fake.handle('openSampleConfig', () => ({ ok: false, message: 'The config has 1 bad entry.', issues }))
    await expect(commands.openSampleConfig()).resolves.toBe(false)
    expect(store.getState().configProblem).toEqual({ message: 'The config has 1 bad entry.', issues })
    expect(store.getState().models.size).toBe(3)
    expect(store.getState().configLoading).toBe(false)
  })

  it('does nothing when the user closes the file dialog', async () => {
    fake.handle('openConfigDialog', () => null)
    await expect(commands.openConfigDialog()).resolves.toBe(false)
    expect(store.getState().configProblem).toBeNull()
    expect(toasts()).toEqual([])
  })

  it('shows a failed read as an error toast', async () => {
    fake.failWith('openConfig', 'Cannot read /configs/x.json: permission denied')
    await commands.openConfigPath('/configs/x.json')
    expect(toasts()).toEqual(['error: Cannot read /configs/x.json: permission denied'])
    expect(store.getState().configLoading).toBe(false)
  })
})

describe('disk, reveal and clipboard', () => {
  it('stats every model of the config again and merges the answer', async () => {
    fake.handle('statLocal', () => ({ [lora.id]: localState('installed') }))
    await commands.refreshLocal()
    expect(fake.requestsOf('statLocal')).toEqual([
      {
        models: [vae, lora, clip].map((x) => ({ localPath: x.localPath, expectedSize: x.expectedSize })),
      },
    ])
    expect(store.getState().local.get(lora.id)).toEqual({ state: 'installed' })
  })

  it('asks nothing of the disk with no config', async () => {
    store.getState().applyConfig(null)
    await commands.refreshLocal()
    expect(fake.calls).toEqual([])
  })

  it('reveals a model and shows why it could not', async () => {
    await commands.reveal(vae.id)
    expect(fake.requestsOf('reveal')).toEqual([{ id: vae.id }])
    fake.failWith('reveal', 'The file is not there any more', 'not_found')
    await commands.reveal(vae.id)
    expect(toasts()).toEqual(['error: The file is not there any more'])
  })

  describe('copyText', () => {
    const writeText = vi.fn<(text: string) => Promise<void>>()
    beforeEach(() => {
      writeText.mockReset()
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } })
    })
    afterEach(() => {
      Reflect.deleteProperty(navigator, 'clipboard')
    })

    it('copies and says what it copied', async () => {
      writeText.mockResolvedValue(undefined)
      await commands.copyText(vae.s3Uri!, 'the S3 path')
      expect(writeText).toHaveBeenCalledWith(vae.s3Uri)
      expect(toasts()).toEqual(['info: Copied the S3 path'])
    })

    it('says what to do when the browser refuses the clipboard', async () => {
      writeText.mockRejectedValue(new Error('NotAllowedError'))
      await commands.copyText(vae.s3Uri!, 'the S3 path')
      expect(toasts()[0]).toMatch(/^error: Could not copy the S3 path: .*details panel/)
    })
  })
})

describe('settings', () => {
  it('saves a patch and keeps what the service answered', async () => {
    const answered = settingsView({ concurrency: 4 })
    fake.handle('updateSettings', () => answered)
    await expect(commands.saveSettings({ concurrency: 4 })).resolves.toBe(answered)
    expect(fake.requestsOf('updateSettings')).toEqual([{ concurrency: 4 }])
    expect(store.getState().settings).toBe(answered)
  })

  it('leaves a refused save to the form, without a toast', async () => {
    fake.failWith('updateSettings', 'modelsRoot: must be an absolute path', 'bad_request')
    await expect(commands.saveSettings({ modelsRoot: 'x' })).rejects.toThrow(
      'modelsRoot: must be an absolute path',
    )
    expect(toasts()).toEqual([])
    expect(store.getState().settings).toBeNull()
  })

  it('tests the draft settings and turns a rejection into a failed result', async () => {
    await expect(commands.testConnection({ s3: { bucket: 'b' } })).resolves.toMatchObject({ ok: true })
    expect(fake.requestsOf('testConnection')).toEqual([{ draft: { s3: { bucket: 'b' } } }])
    fake.failWith('testConnection', 'The service did not answer')
    await expect(commands.testConnection({})).resolves.toEqual({
      ok: false,
      message: 'The service did not answer',
      elapsedMs: 0,
    })
  })
})

describe('scans', () => {
  it('starts a scan, shows the browse screen and follows the scan the service started', async () => {
    fake.handle('startScan', () => ({ scanId: 'scan-7' }))
    await commands.startScan('s3://models-bucket/models/', true)
    expect(fake.requestsOf('startScan')).toEqual([{ uri: 's3://models-bucket/models/', allTypes: true }])
    expect(store.getState().screen).toBe('browse')
    expect(store.getState().scan).toMatchObject({ status: 'running', scanId: 'scan-7', allTypes: true })
  })

  it('fails the scan with the code and message of a refused start', async () => {
    fake.failWith('startScan', 'Not an S3 location: use s3://bucket/prefix/', 'bad_request')
    await commands.startScan('s3:/x', false)
    expect(store.getState().scan).toMatchObject({
      status: 'failed',
      error: { code: 'bad_request', message: 'Not an S3 location: use s3://bucket/prefix/' },
    })
  })

  it('cancels a scan the service is running', async () => {
    fake.handle('startScan', () => ({ scanId: 'scan-7' }))
    await commands.startScan('s3://b/', false)
    await commands.cancelScan()
    expect(fake.requestsOf('cancelScan')).toEqual([{ scanId: 'scan-7' }])
    expect(store.getState().scan.status).toBe('cancelled')
  })

  it('stops a scan cancelled before the service answered with its id, once the id comes', async () => {
    fake.hold('startScan')
    const starting = commands.startScan('s3://b/', false)
    await commands.cancelScan()
    expect(fake.requestsOf('cancelScan')).toEqual([])
    fake.held('startScan').resolve({ scanId: 'scan-9' })
    await starting
    expect(fake.requestsOf('cancelScan')).toEqual([{ scanId: 'scan-9' }])
    expect(store.getState().scan.status).toBe('cancelled')
  })

  it('shows a refused cancel as an error', async () => {
    await commands.startScan('s3://b/', false)
    fake.failWith('cancelScan', 'No such scan')
    await commands.cancelScan()
    expect(toasts()).toEqual(['error: No such scan'])
  })
})

describe('saving a config', () => {
  it('sends only the model fields of scanned models and says where they went', async () => {
    const scanned = scannedModel({ group: 'loras', modelName: 'a.safetensors', etag: '"e"' })
    fake.handle('saveConfig', (r) => ({ path: r.path, written: 1, kept: 4 }))
    fake.handle('recentConfigs', () => ['/configs/new.json'])
    const result = await commands.saveConfig({ path: '/configs/new.json', mode: 'merge', models: [scanned] })
    expect(result).toEqual({ path: '/configs/new.json', written: 1, kept: 4 })
    const sent = fake.requestsOf('saveConfig')[0]?.models[0]
    expect(sent).toEqual({
      id: scanned.id,
      entryId: scanned.entryId,
      group: 'loras',
      modelName: 'a.safetensors',
      s3Uri: scanned.s3Uri,
      localPath: scanned.localPath,
      expectedSize: scanned.expectedSize,
    })
    expect(toasts()).toEqual(['info: Added 1 model to /configs/new.json (4 entries kept)'])
    await vi.waitFor(() => expect(store.getState().recent).toEqual(['/configs/new.json']))
  })

  it('says Saved for a new file', async () => {
    await commands.saveConfig({ path: '/c.json', mode: 'new', models: [vae, lora] })
    expect(toasts()).toEqual(['info: Saved 2 models to /c.json'])
  })

  it('shows a refused save and answers null', async () => {
    fake.failWith('saveConfig', '/c.json is not a model config: nothing was written', 'bad_request')
    await expect(commands.saveConfig({ path: '/c.json', mode: 'merge', models: [vae] })).resolves.toBeNull()
    expect(toasts()).toEqual(['error: /c.json is not a model config: nothing was written'])
  })

  it('asks the desktop for a save path, and shows why it could not', async () => {
    fake.handle('saveConfigDialog', () => '/chosen.json')
    await expect(commands.chooseSavePath()).resolves.toBe('/chosen.json')
    fake.failWith('saveConfigDialog', 'Dialogs are only in the desktop app', 'unsupported')
    await expect(commands.chooseSavePath()).resolves.toBeNull()
    expect(toasts()).toEqual(['error: Dialogs are only in the desktop app'])
  })
})

describe('reconnect', () => {
  it('loads everything again', async () => {
    store.getState().setConnection({ state: 'failed', message: 'down' })
    await commands.reconnect()
    expect(store.getState().connection).toEqual({ state: 'ready' })
    expect(fake.calls.map((c) => c.method).sort()).toEqual(
      ['appInfo', 'currentConfig', 'getSettings', 'recentConfigs', 'snapshot', 'statLocal'].sort(),
    )
  })
})
