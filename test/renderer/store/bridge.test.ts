// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { connectBridge, LIST_REFRESH_MS, loadInitial } from '../../../src/renderer/src/store/bridge'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import {
  appInfo,
  batchProgress,
  loadedConfig,
  localState,
  modelInfo,
  modelRecord,
  progressTick,
  scannedModel,
  scanPage,
  serviceStatus,
  settingsView,
} from '../support/fixtures'

const vae = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })
const lora = modelInfo({ group: 'loras', modelName: 'detail.safetensors' })

/** Lets the pending promise callbacks run (fake timers leave microtasks alone). */
const settle = () => vi.advanceTimersByTimeAsync(0)

describe('connectBridge', () => {
  let fake: FakeApi
  let store: AppStore
  let disconnect: () => void

  beforeEach(async () => {
    vi.useFakeTimers()
    fake = createFakeApi({ list: () => [modelRecord(vae, { status: 'progress' })] })
    store = createAppStore()
    disconnect = connectBridge(fake.api, store)
    await settle()
    fake.clearCalls()
  })

  afterEach(() => {
    disconnect()
    vi.useRealTimers()
  })

  const listCalls = () => fake.requestsOf('list').length

  it('listens to every event of the Api, and stops listening when disconnected', () => {
    const events = [
      'onProgress',
      'onChanged',
      'onSettingsChanged',
      'onConfigChanged',
      'onLocalChanged',
      'onScanProgress',
      'onFocusModel',
    ] as const
    for (const e of events) expect(fake.listenerCount(e), e).toBe(1)
    disconnect()
    for (const e of events) expect(fake.listenerCount(e), e).toBe(0)
  })

  it('merges a progress tick for a known model without asking for the list', async () => {
    fake.emit('onProgress', progressTick([{ id: vae.id, status: 'progress', downloaded: 30 }], { models: 1 }))
    expect(store.getState().records.get(vae.id)?.downloaded).toBe(30)
    expect(store.getState().batch?.models).toBe(1)
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS * 2)
    expect(listCalls()).toBe(0)
  })

  it('reads the list once, a moment after ticks start naming a model it has no record of', async () => {
    const newcomer = modelRecord(lora, { status: 'progress', downloaded: 5 })
    fake.handle('list', () => [modelRecord(vae, { status: 'progress' }), newcomer])
    fake.emit('onProgress', progressTick([{ id: lora.id, status: 'progress', downloaded: 5 }]))
    fake.emit('onProgress', progressTick([{ id: lora.id, status: 'progress', downloaded: 6 }]))
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS - 1)
    expect(listCalls()).toBe(0)
    fake.emit('onProgress', progressTick([{ id: lora.id, status: 'progress', downloaded: 7 }]))
    await vi.advanceTimersByTimeAsync(1)
    expect(listCalls()).toBe(1)
    expect(store.getState().records.get(lora.id)).toEqual(newcomer)
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS * 3)
    expect(listCalls()).toBe(1)
  })

  it('reads the list again when a model enters the queue (a retry may keep its old place)', async () => {
    fake.emit('onChanged', { records: [modelRecord(lora, { status: 'queued' })], removed: [] })
    expect(store.getState().queueOrder).toEqual([vae.id, lora.id])
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS)
    expect(listCalls()).toBe(1)
  })

  it('does not read the list for changes that move nothing in the queue', async () => {
    fake.emit('onChanged', { records: [modelRecord(vae, { status: 'completed' })], removed: [] })
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS * 2)
    expect(listCalls()).toBe(0)
    expect(store.getState().queueOrder).toEqual([])
    expect(store.getState().local.get(vae.id)).toEqual({ state: 'installed' })
  })

  it('drops a list refresh that was due when it disconnected', async () => {
    fake.emit('onProgress', progressTick([{ id: lora.id, status: 'progress' }]))
    disconnect()
    await vi.advanceTimersByTimeAsync(LIST_REFRESH_MS * 2)
    expect(listCalls()).toBe(0)
  })

  it('brings settings, config, local, scan and focus events to the store', () => {
    const view = settingsView({ concurrency: 7 })
    fake.emit('onSettingsChanged', view)
    expect(store.getState().settings).toBe(view)

    fake.emit('onConfigChanged', loadedConfig([vae, lora]))
    expect([...store.getState().models.keys()]).toEqual([vae.id, lora.id])
    fake.emit('onConfigChanged', null)
    expect(store.getState().config).toBeNull()

    fake.emit('onLocalChanged', { [lora.id]: localState('wrong_size', 3) })
    expect(store.getState().local.get(lora.id)).toEqual({ state: 'wrong_size', bytes: 3 })

    store.getState().scanStarting('s3://models-bucket/models/', false)
    store.getState().scanStarted('scan-1')
    fake.emit('onScanProgress', scanPage({ models: [scannedModel()], listed: 4 }))
    expect(store.getState().scan.listed).toBe(4)

    store.getState().setScreen('settings')
    fake.emit('onFocusModel', { id: vae.id })
    expect(store.getState().focusRequest?.id).toBe(vae.id)
    expect(store.getState().screen).toBe('downloads')
  })
})

describe('loadInitial', () => {
  it('loads everything the window shows and then says the connection is ready', async () => {
    const info = appInfo({ shell: 'electron' })
    const view = settingsView()
    const fake = createFakeApi({
      appInfo: () => info,
      getSettings: () => view,
      currentConfig: () => loadedConfig([vae, lora]),
      list: () => [modelRecord(vae, { status: 'queued' })],
      status: () => serviceStatus({ batch: batchProgress({ models: 4 }) }),
      recentConfigs: () => ['/a.json', '/b.json'],
    })
    const store = createAppStore()
    const loading = loadInitial(fake.api, store)
    expect(store.getState().connection).toEqual({ state: 'connecting' })
    await loading
    const s = store.getState()
    expect(s.connection).toEqual({ state: 'ready' })
    expect(s.appInfo).toBe(info)
    expect(s.settings).toBe(view)
    expect(s.models.size).toBe(2)
    expect(s.queueOrder).toEqual([vae.id])
    expect(s.batch?.models).toBe(4)
    expect(s.recent).toEqual(['/a.json', '/b.json'])
  })

  it('says the connection failed, with the service’s message, when any first call fails', async () => {
    const fake = createFakeApi()
    fake.failWith('status', 'The download service is not running: start it with modeldl serve', 'unavailable')
    const store = createAppStore()
    await loadInitial(fake.api, store)
    expect(store.getState().connection).toEqual({
      state: 'failed',
      message: 'The download service is not running: start it with modeldl serve',
    })
    expect(store.getState().appInfo).toBeNull()
  })

  it('keeps a config and a batch that events brought while it was loading', async () => {
    const fake = createFakeApi({
      currentConfig: () => loadedConfig([vae]),
      status: () => serviceStatus({ batch: batchProgress({ models: 1 }) }),
    })
    fake.hold('recentConfigs')
    const store = createAppStore()
    const loading = loadInitial(fake.api, store)
    store.getState().applyConfig(loadedConfig([lora]))
    store.getState().setBatch(batchProgress({ models: 9 }))
    fake.held('recentConfigs').resolve([])
    await loading
    expect([...store.getState().models.keys()]).toEqual([lora.id])
    expect(store.getState().batch?.models).toBe(9)
  })

  it('leaves the store alone when the window closed before the answers came', async () => {
    const fake = createFakeApi({ appInfo: () => appInfo() })
    const store = createAppStore()
    await loadInitial(fake.api, store, () => true)
    expect(store.getState().appInfo).toBeNull()
    expect(store.getState().connection.state).toBe('connecting')
  })

  it('uses the message of a rejection that is a plain object, as the context bridge passes it', async () => {
    const fake = createFakeApi()
    fake.handle('appInfo', () =>
      Promise.reject({ code: 'forbidden', message: 'Refused: open the link printed by modeldl serve' }),
    )
    const store = createAppStore()
    await loadInitial(fake.api, store)
    expect(store.getState().connection.message).toBe('Refused: open the link printed by modeldl serve')
  })
})
