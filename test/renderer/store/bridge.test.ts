// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { connectBridge, loadInitial } from '../../../src/renderer/src/store/bridge'
import type {
  ModelRecord,
  ProgressTick,
  ServiceChange,
  ServiceSnapshot,
} from '../../../src/shared/service-contract'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import {
  appInfo,
  batchProgress,
  countsOf,
  EPOCH,
  loadedConfig,
  localState,
  modelInfo,
  modelRecord,
  progressTick,
  scannedModel,
  scanPage,
  serviceChange,
  serviceSnapshot,
  settingsView,
} from '../support/fixtures'

const vae = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })
const lora = modelInfo({ group: 'loras', modelName: 'detail.safetensors' })
const ckpt = modelInfo({ group: 'checkpoints', modelName: 'flux1-dev.safetensors' })

/** Lets the pending promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 0))

/**
 * A stand-in for the service's side of the events: it keeps records and the queue, numbers each change
 * as the service does, and answers snapshot() with what it holds. A test can drop one of its events on
 * the way, as a slow WebSocket client or a reconnect would.
 */
function serviceModel(initial: ModelRecord[]) {
  const records = new Map(initial.map((r) => [r.id, r]))
  let queue = initial.filter((r) => ['queued', 'progress', 'paused'].includes(r.status)).map((r) => r.id)
  let epoch = EPOCH
  let revision = 0
  const summaries = () => {
    const all = [...records.values()]
    const counts = countsOf(all)
    return {
      counts,
      batch: batchProgress({
        models: all.length,
        completed: counts.completed,
        cancelled: counts.cancelled,
        failed: counts.failed,
      }),
    }
  }
  return {
    change(changed: ModelRecord[], newQueue?: string[]): ServiceChange {
      for (const r of changed) records.set(r.id, r)
      if (newQueue) queue = newQueue
      revision++
      return {
        epoch,
        revision,
        records: changed,
        removed: [],
        ...(newQueue ? { queue: newQueue } : {}),
        ...summaries(),
      }
    },
    tick(id: string, downloaded: number): ProgressTick {
      records.set(id, { ...records.get(id)!, status: 'progress', downloaded })
      revision++
      return {
        ...progressTick([{ id, status: 'progress', downloaded }], {}, { epoch, revision }),
        batch: summaries().batch,
      }
    },
    snapshot(): ServiceSnapshot {
      const ordered = [
        ...queue.map((id) => records.get(id)!),
        ...[...records.values()].filter((r) => !queue.includes(r.id)),
      ]
      return { epoch, revision, records: ordered, queue: [...queue], ...summaries() }
    },
    /** Another owner took the queue over: a new epoch, counting from zero again. */
    restart(newEpoch: string): void {
      epoch = newEpoch
      revision = 0
    },
  }
}

function expectStoreEquals(store: AppStore, snapshot: ServiceSnapshot): void {
  const s = store.getState()
  expect(new Map(s.records)).toEqual(new Map(snapshot.records.map((r) => [r.id, r])))
  expect(new Map(s.recordStatus)).toEqual(new Map(snapshot.records.map((r) => [r.id, r.status])))
  expect(s.queueOrder).toEqual(snapshot.queue)
  expect(s.batch).toEqual(snapshot.batch)
  expect(s.counts).toEqual(snapshot.counts)
}

describe('connectBridge', () => {
  let fake: FakeApi
  let store: AppStore
  let disconnect: () => void
  let service: ReturnType<typeof serviceModel>

  beforeEach(async () => {
    service = serviceModel([
      modelRecord(vae, { status: 'progress' }),
      modelRecord(lora, { status: 'queued' }),
    ])
    fake = createFakeApi({ snapshot: () => service.snapshot() })
    store = createAppStore()
    disconnect = connectBridge(fake.api, store)
    await settle()
  })

  afterEach(() => disconnect())

  const snapshots = () => fake.requestsOf('snapshot').length

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

  it('starts from one snapshot: records, queue order, batch and counts; it never lists or asks the status', () => {
    expect(snapshots()).toBe(1)
    expectStoreEquals(store, service.snapshot())
    expect(fake.requestsOf('list')).toEqual([])
    expect(fake.requestsOf('status')).toEqual([])
  })

  it('merges a progress tick at the next revision: the bytes and the batch, nothing fetched', async () => {
    fake.emit('onProgress', progressTick([{ id: vae.id, downloaded: 30 }], { models: 7 }, { revision: 1 }))
    expect(store.getState().records.get(vae.id)?.downloaded).toBe(30)
    expect(store.getState().batch?.models).toBe(7)
    await settle()
    expect(snapshots()).toBe(1)
  })

  it('applies a change: its records, the summaries the service computed, and the queue order it sends', async () => {
    const cancelled = modelRecord(vae, { status: 'cancelled' })
    fake.emit('onChanged', service.change([cancelled], [lora.id]))
    const s = store.getState()
    expect(s.records.get(vae.id)?.status).toBe('cancelled')
    expect(s.queueOrder).toEqual([lora.id])
    expect(s.counts).toMatchObject({ cancelled: 1, queued: 1, progress: 0 })
    expect(s.batch).toMatchObject({ models: 2, cancelled: 1 })
    await settle()
    expect(snapshots()).toBe(1)
    expectStoreEquals(store, service.snapshot())
  })

  it('follows the queue order the events carry (a move, a retry that keeps its place)', () => {
    fake.emit('onChanged', service.change([modelRecord(lora, { status: 'queued' })], [lora.id, vae.id]))
    expect(store.getState().queueOrder).toEqual([lora.id, vae.id])
    // A model entering the queue goes where the service put it, not at the end.
    fake.emit(
      'onChanged',
      service.change([modelRecord(ckpt, { status: 'queued' })], [lora.id, ckpt.id, vae.id]),
    )
    expect(store.getState().queueOrder).toEqual([lora.id, ckpt.id, vae.id])
    // A change without a queue leaves the order as it was.
    fake.emit('onChanged', service.change([modelRecord(vae, { status: 'progress', attempts: 2 })]))
    expect(store.getState().queueOrder).toEqual([lora.id, ckpt.id, vae.id])
    expectStoreEquals(store, service.snapshot())
  })

  it('a missed revision fetches exactly one snapshot, and the store ends equal to the service', async () => {
    fake.emit('onChanged', service.change([modelRecord(vae, { status: 'progress', downloaded: 5 })]))
    // Revision 2 never arrives: the window did not see ckpt enter the queue at the top.
    service.change([modelRecord(ckpt, { status: 'queued' })], [ckpt.id, vae.id, lora.id])
    fake.emit('onChanged', service.change([modelRecord(lora, { status: 'paused' })]))
    fake.emit('onProgress', service.tick(vae.id, 9))
    await settle()
    expect(snapshots()).toBe(2)
    expectStoreEquals(store, service.snapshot())
    // And it goes on from there with no further snapshot.
    fake.emit('onChanged', service.change([modelRecord(vae, { status: 'completed' })], [ckpt.id, lora.id]))
    await settle()
    expect(snapshots()).toBe(2)
    expectStoreEquals(store, service.snapshot())
  })

  it('another owner’s epoch fetches a snapshot; events already applied are not applied twice', async () => {
    fake.emit('onChanged', service.change([modelRecord(vae, { status: 'progress', downloaded: 3 })]))
    service.restart('epoch-2')
    // The new owner's first event has revision 1, as the window's last one did: the epoch tells them apart.
    fake.emit('onChanged', service.change([modelRecord(lora, { status: 'paused' })]))
    await settle()
    expect(snapshots()).toBe(2)
    expectStoreEquals(store, service.snapshot())
    const again = service.change([modelRecord(vae, { status: 'paused' })])
    fake.emit('onChanged', again)
    fake.emit('onChanged', again)
    await settle()
    expect(snapshots()).toBe(2)
    expectStoreEquals(store, service.snapshot())
  })

  it('tries again at the next event when a snapshot failed', async () => {
    fake.failWith('snapshot', 'Lost the connection to modeldl serve (reconnecting)', 'unavailable')
    fake.emit('onChanged', serviceChange([], { revision: 5 }))
    await settle()
    expect(snapshots()).toBe(2)
    fake.handle('snapshot', () => service.snapshot())
    fake.emit('onChanged', service.change([modelRecord(vae, { status: 'paused' })]))
    await settle()
    expect(snapshots()).toBe(3)
    expectStoreEquals(store, service.snapshot())
  })

  it('applies nothing after it was disconnected, not even a snapshot already on its way', async () => {
    fake.hold('snapshot')
    fake.emit('onChanged', serviceChange([], { revision: 9 }))
    disconnect()
    const before = store.getState().records
    fake.held('snapshot').resolve(serviceSnapshot([modelRecord(ckpt, { status: 'queued' })], { revision: 9 }))
    await settle()
    expect(store.getState().records).toBe(before)
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
      snapshot: () =>
        serviceSnapshot([modelRecord(vae, { status: 'queued' })], { batch: batchProgress({ models: 4 }) }),
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
    expect(s.counts?.queued).toBe(1)
    expect(s.recent).toEqual(['/a.json', '/b.json'])
    expect(fake.calls.map((c) => c.method).sort()).toEqual(
      ['appInfo', 'currentConfig', 'getSettings', 'recentConfigs', 'snapshot', 'statLocal'].sort(),
    )
  })

  it('asks the disk about the config’s models before it is ready: the config’s states are as old as its load', async () => {
    const fake = createFakeApi({
      currentConfig: () => loadedConfig([vae, lora], { local: { [vae.id]: localState('missing') } }),
      snapshot: () => serviceSnapshot([modelRecord(vae, { status: 'completed' })]),
      statLocal: () => ({ [vae.id]: localState('installed'), [lora.id]: localState('missing') }),
    })
    const store = createAppStore()
    await loadInitial(fake.api, store)
    expect(fake.requestsOf('statLocal')).toEqual([
      {
        models: [
          { localPath: vae.localPath, expectedSize: vae.expectedSize },
          { localPath: lora.localPath, expectedSize: lora.expectedSize },
        ],
      },
    ])
    expect(store.getState().local.get(vae.id)).toEqual({ state: 'installed' })
    expect(store.getState().connection.state).toBe('ready')
  })

  it('says the connection failed, with the service’s message, when any first call fails', async () => {
    const fake = createFakeApi()
    fake.failWith(
      'snapshot',
      'The download service is not running: start it with modeldl serve',
      'unavailable',
    )
    const store = createAppStore()
    await loadInitial(fake.api, store)
    expect(store.getState().connection).toEqual({
      state: 'failed',
      message: 'The download service is not running: start it with modeldl serve',
    })
    expect(store.getState().appInfo).toBeNull()
  })

  it('keeps a config that an event brought while it was loading', async () => {
    const fake = createFakeApi({ currentConfig: () => loadedConfig([vae]) })
    fake.hold('recentConfigs')
    const store = createAppStore()
    const loading = loadInitial(fake.api, store)
    store.getState().applyConfig(loadedConfig([lora]))
    fake.held('recentConfigs').resolve([])
    await loading
    expect([...store.getState().models.keys()]).toEqual([lora.id])
  })

  it('applies the events that arrived while the first snapshot was on its way, in order, after it', async () => {
    const fake = createFakeApi()
    fake.hold('snapshot')
    const store = createAppStore()
    const disconnect = connectBridge(fake.api, store)
    fake.emit('onChanged', serviceChange([modelRecord(vae, { status: 'progress' })], { revision: 3 }))
    fake.emit('onProgress', progressTick([{ id: vae.id, downloaded: 42 }], { models: 3 }, { revision: 4 }))
    fake
      .held('snapshot')
      .resolve(serviceSnapshot([modelRecord(vae, { status: 'progress' })], { revision: 3 }))
    await settle()
    const s = store.getState()
    expect(s.connection.state).toBe('ready')
    // Revision 3 is already in the snapshot; 4 is applied on top of it.
    expect(s.records.get(vae.id)).toMatchObject({ status: 'progress', downloaded: 42 })
    expect(s.batch?.models).toBe(3)
    expect(fake.requestsOf('snapshot')).toHaveLength(1)
    disconnect()
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
