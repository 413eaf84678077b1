// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import {
  loadedConfig,
  localState,
  modelInfo,
  modelRecord,
  progressTick,
  scannedModel,
  scanPage,
} from '../support/fixtures'

const vae = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })
const lora = modelInfo({ group: 'loras', modelName: 'detail.safetensors' })
const lora2 = modelInfo({ group: 'loras', modelName: 'glow.safetensors' })
const ckpt = modelInfo({ group: 'checkpoints', modelName: 'flux1-dev.safetensors' })

describe('applyConfig', () => {
  it('indexes the models by id and groups them in the order the config first names each group', () => {
    const store = createAppStore()
    store.getState().applyConfig(loadedConfig([vae, lora, ckpt, lora2]))
    const s = store.getState()
    expect([...s.models.keys()]).toEqual([vae.id, lora.id, ckpt.id, lora2.id])
    expect(s.groups).toEqual([
      { name: 'vae', ids: [vae.id] },
      { name: 'loras', ids: [lora.id, lora2.id] },
      { name: 'checkpoints', ids: [ckpt.id] },
    ])
    expect(s.config).toMatchObject({ format: 'nested', sources: ['s3://models-bucket/models/'] })
  })

  it('takes the local states the config brings, keeping the ones it does not mention', () => {
    const store = createAppStore()
    store.getState().mergeLocal({ '/elsewhere/x.bin': localState('installed') })
    store.getState().applyConfig(loadedConfig([vae, lora], { local: { [vae.id]: localState('partial', 5) } }))
    const { local } = store.getState()
    expect(local.get(vae.id)).toEqual({ state: 'partial', bytes: 5 })
    expect(local.get('/elsewhere/x.bin')).toEqual({ state: 'installed' })
  })

  it('clears a config problem once a config loads', () => {
    const store = createAppStore()
    store.getState().setConfigProblem({ message: 'bad', issues: [] })
    store.getState().applyConfig(loadedConfig([vae]))
    expect(store.getState().configProblem).toBeNull()
  })

  it('keeps only the selection and the drawer that still point at models of the new config', () => {
    const store = createAppStore()
    store.getState().applyConfig(loadedConfig([vae, lora]))
    store.getState().setSelected('downloads', [vae.id, lora.id], true)
    store.getState().openDrawer('downloads', lora.id)
    store.getState().applyConfig(loadedConfig([vae, ckpt]))
    expect([...store.getState().views.downloads.selected]).toEqual([vae.id])
    expect(store.getState().drawer).toBeNull()
  })

  it('keeps a drawer open on a model that is still there', () => {
    const store = createAppStore()
    store.getState().applyConfig(loadedConfig([vae, lora]))
    store.getState().openDrawer('downloads', vae.id)
    store.getState().applyConfig(loadedConfig([vae]))
    expect(store.getState().drawer).toEqual({ view: 'downloads', id: vae.id })
  })

  it('with no config, empties the models, groups and selection but leaves a browse drawer open', () => {
    const store = createAppStore()
    store.getState().applyConfig(loadedConfig([vae, lora]))
    store.getState().setSelected('downloads', [vae.id], true)
    store.getState().openDrawer('browse', 's3-thing')
    store.getState().applyConfig(null)
    const s = store.getState()
    expect(s.config).toBeNull()
    expect(s.models.size).toBe(0)
    expect(s.groups).toEqual([])
    expect(s.views.downloads.selected.size).toBe(0)
    expect(s.drawer).toEqual({ view: 'browse', id: 's3-thing' })
  })
})

describe('setRecords', () => {
  it('keeps the records by id and the queue as the active ones in the order the service listed them', () => {
    const store = createAppStore()
    store
      .getState()
      .setRecords([
        modelRecord(lora, { status: 'progress' }),
        modelRecord(vae, { status: 'queued' }),
        modelRecord(ckpt, { status: 'paused' }),
        modelRecord(lora2, { status: 'completed' }),
      ])
    const s = store.getState()
    expect(s.queueOrder).toEqual([lora.id, vae.id, ckpt.id])
    expect(s.records.get(lora2.id)?.status).toBe('completed')
    expect(s.recordStatus.get(vae.id)).toBe('queued')
    expect(s.recordStatus.size).toBe(4)
  })
})

describe('applyChanged', () => {
  const started = () => {
    const store = createAppStore()
    store
      .getState()
      .setRecords([modelRecord(vae, { status: 'progress' }), modelRecord(lora, { status: 'queued' })])
    return store
  }

  it('adds a model entering the queue at its end and leaves the others in place', () => {
    const store = started()
    store.getState().applyChanged({ records: [modelRecord(ckpt, { status: 'queued' })], removed: [] })
    expect(store.getState().queueOrder).toEqual([vae.id, lora.id, ckpt.id])
  })

  it('keeps a model that stays active where it is', () => {
    const store = started()
    store.getState().applyChanged({ records: [modelRecord(lora, { status: 'paused' })], removed: [] })
    expect(store.getState().queueOrder).toEqual([vae.id, lora.id])
  })

  it('takes a model that finished out of the queue but keeps its record', () => {
    const store = started()
    store
      .getState()
      .applyChanged({ records: [modelRecord(vae, { status: 'failed', errorCode: 'x' })], removed: [] })
    expect(store.getState().queueOrder).toEqual([lora.id])
    expect(store.getState().records.get(vae.id)?.status).toBe('failed')
  })

  it('drops removed records from the records, the statuses and the queue', () => {
    const store = started()
    store.getState().applyChanged({ records: [], removed: [vae.id] })
    const s = store.getState()
    expect(s.records.has(vae.id)).toBe(false)
    expect(s.recordStatus.has(vae.id)).toBe(false)
    expect(s.queueOrder).toEqual([lora.id])
  })

  it('keeps the status map itself when no status changed, so status-sorted lists do not rebuild', () => {
    const store = started()
    const before = store.getState().recordStatus
    store
      .getState()
      .applyChanged({ records: [modelRecord(vae, { status: 'progress', attempts: 2 })], removed: [] })
    expect(store.getState().recordStatus).toBe(before)
    expect(store.getState().records.get(vae.id)?.attempts).toBe(2)
  })

  it('makes a new status map when a status changed', () => {
    const store = started()
    const before = store.getState().recordStatus
    store.getState().applyChanged({ records: [modelRecord(lora, { status: 'paused' })], removed: [] })
    const after = store.getState().recordStatus
    expect(after).not.toBe(before)
    expect(after.get(lora.id)).toBe('paused')
    expect(before.get(lora.id)).toBe('queued')
  })

  it('marks a model installed on disk when its record completes', () => {
    const store = started()
    store.getState().mergeLocal({ [vae.id]: localState('partial', 10) })
    store.getState().applyChanged({ records: [modelRecord(vae, { status: 'completed' })], removed: [] })
    expect(store.getState().local.get(vae.id)).toEqual({ state: 'installed' })
  })

  it('does not mark installed again a completed record whose file the disk since reported gone', () => {
    const store = started()
    store.getState().applyChanged({ records: [modelRecord(vae, { status: 'completed' })], removed: [] })
    store.getState().mergeLocal({ [vae.id]: localState('missing') })
    store
      .getState()
      .applyChanged({ records: [modelRecord(vae, { status: 'completed', attempts: 3 })], removed: [] })
    expect(store.getState().local.get(vae.id)).toEqual({ state: 'missing' })
  })

  it('leaves the local map alone when nothing completed', () => {
    const store = started()
    const before = store.getState().local
    store.getState().applyChanged({ records: [modelRecord(lora, { status: 'paused' })], removed: [] })
    expect(store.getState().local).toBe(before)
  })
})

describe('mergeProgress', () => {
  const running = () => {
    const store = createAppStore()
    store
      .getState()
      .setRecords([modelRecord(vae, { status: 'progress' }), modelRecord(lora, { status: 'queued' })])
    return store
  }

  it('replaces the records Map on every batch and merges the bytes, speed and ETA of the named models', () => {
    const store = running()
    const before = store.getState().records
    const vaeBefore = before.get(vae.id)
    store
      .getState()
      .mergeProgress(
        progressTick([
          { id: vae.id, status: 'progress', downloaded: 40, totalSize: 100, speedBps: 7, etaSeconds: 9 },
        ]),
      )
    const after = store.getState().records
    expect(after).not.toBe(before)
    expect(after.get(vae.id)).toMatchObject({ downloaded: 40, totalSize: 100, speedBps: 7, etaSeconds: 9 })
    // Immutable: the old record and the old Map are as they were.
    expect(before.get(vae.id)).toBe(vaeBefore)
    expect(vaeBefore?.downloaded).toBe(0)
    // A model the tick does not name keeps its very record object.
    expect(after.get(lora.id)).toBe(before.get(lora.id))
  })

  it('ignores models it has no record of, and then keeps the records Map as it was', () => {
    const store = running()
    const before = store.getState().records
    store.getState().mergeProgress(progressTick([{ id: '/not/known', downloaded: 5 }], { models: 3 }))
    expect(store.getState().records).toBe(before)
    expect(store.getState().records.has('/not/known')).toBe(false)
    expect(store.getState().batch?.models).toBe(3)
  })

  it('keeps the status map when only bytes moved', () => {
    const store = running()
    const before = store.getState().recordStatus
    store.getState().mergeProgress(progressTick([{ id: vae.id, downloaded: 50 }]))
    expect(store.getState().recordStatus).toBe(before)
  })

  it('never takes a status from a tick: a status arrives with its whole record in a change event', () => {
    const store = running()
    const before = store.getState().recordStatus
    const statusBefore = store.getState().records.get(lora.id)?.status
    const tick = progressTick([{ id: lora.id, downloaded: 1 }])
    // Even a tick that (wrongly) carried one, as an older owner's would, leaves the status alone.
    store
      .getState()
      .mergeProgress({ ...tick, models: tick.models.map((m) => ({ ...m, status: 'completed' })) })
    expect(store.getState().recordStatus).toBe(before)
    expect(store.getState().records.get(lora.id)?.status).toBe(statusBefore)
    expect(store.getState().records.get(lora.id)?.downloaded).toBe(1)
  })

  it('takes the batch summary of every tick', () => {
    const store = running()
    store.getState().mergeProgress(progressTick([], { models: 2, bytesDone: 10, bytesTotal: 200 }))
    expect(store.getState().batch).toMatchObject({ models: 2, bytesDone: 10, bytesTotal: 200 })
  })
})

describe('mergeLocal', () => {
  it('merges what the disk says into a new map', () => {
    const store = createAppStore()
    store.getState().mergeLocal({ [vae.id]: localState('installed'), [lora.id]: localState('missing') })
    const before = store.getState().local
    store.getState().mergeLocal({ [lora.id]: localState('wrong_size', 12) })
    const after = store.getState().local
    expect(after).not.toBe(before)
    expect(after.get(vae.id)).toEqual({ state: 'installed' })
    expect(after.get(lora.id)).toEqual({ state: 'wrong_size', bytes: 12 })
  })
})

describe('the scan of a source', () => {
  const a = scannedModel({ group: 'loras', modelName: 'a.safetensors', local: localState('installed') })
  const b = scannedModel({ group: 'vae', modelName: 'b.safetensors' })
  const c = scannedModel({ group: 'loras', modelName: 'c.safetensors' })

  it('starts afresh: the old results and the browse view are reset', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://one/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [a] }))
    store.getState().setFilterText('browse', 'a')
    store.getState().scanStarting('s3://two/', true)
    const s = store.getState()
    expect(s.scan).toMatchObject({
      status: 'starting',
      uri: 's3://two/',
      allTypes: true,
      scanId: null,
      listed: 0,
    })
    expect(s.scan.models.size).toBe(0)
    expect(s.views.browse.filterText).toBe('')
  })

  it('keeps pages that arrive before the start answered and applies those of its scan once it has its id', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://models-bucket/models/', false)
    store.getState().applyScanProgress(scanPage({ scanId: 'scan-1', models: [a], listed: 1 }))
    store.getState().applyScanProgress(scanPage({ scanId: 'old-scan', models: [b], listed: 9 }))
    expect(store.getState().scan.early).toHaveLength(2)
    expect(store.getState().scan.models.size).toBe(0)
    store.getState().scanStarted('scan-1')
    const { scan } = store.getState()
    expect(scan.status).toBe('running')
    expect([...scan.models.keys()]).toEqual([a.id])
    expect(scan.listed).toBe(1)
    expect(scan.early).toEqual([])
  })

  it('ignores pages of another scan while running', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ scanId: 'scan-0', models: [b], listed: 50 }))
    expect(store.getState().scan.models.size).toBe(0)
    expect(store.getState().scan.listed).toBe(0)
  })

  it('grows the models and groups page by page, records their local state, and ends done', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [a, b], listed: 2, folders: ['loras/', 'vae/'] }))
    expect(store.getState().scan.status).toBe('running')
    store
      .getState()
      .applyScanProgress(scanPage({ models: [c], listed: 5, done: true, folders: ['loras/', 'vae/'] }))
    const s = store.getState()
    expect(s.scan.status).toBe('done')
    expect(s.scan.listed).toBe(5)
    expect(s.scan.groups).toEqual([
      { name: 'loras', ids: [a.id, c.id] },
      { name: 'vae', ids: [b.id] },
    ])
    expect(s.local.get(a.id)).toEqual({ state: 'installed' })
    expect(s.local.get(b.id)).toEqual({ state: 'missing' })
  })

  it('ends failed with the error a last page carries', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    const error = { code: 'access_denied', message: 'Access Denied' }
    store.getState().applyScanProgress(scanPage({ done: true, error }))
    expect(store.getState().scan).toMatchObject({ status: 'failed', error })
  })

  it('ignores a page after the scan ended', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [a], listed: 1, done: true }))
    store.getState().applyScanProgress(scanPage({ models: [b], listed: 2 }))
    expect(store.getState().scan.status).toBe('done')
    expect(store.getState().scan.models.size).toBe(1)
  })

  it('is cancelled while starting or running, and then ignores the start answer and later pages', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().applyScanProgress(scanPage({ models: [a] }))
    store.getState().scanCancelled()
    expect(store.getState().scan).toMatchObject({ status: 'cancelled', early: [] })
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [b] }))
    expect(store.getState().scan.status).toBe('cancelled')
    expect(store.getState().scan.models.size).toBe(0)
  })

  it('does not call a finished scan cancelled', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ done: true }))
    store.getState().scanCancelled()
    expect(store.getState().scan.status).toBe('done')
  })

  it('fails with the error of a start that was refused', () => {
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanFailed({ code: 'bad_request', message: 'not an S3 URI' })
    expect(store.getState().scan).toMatchObject({
      status: 'failed',
      error: { code: 'bad_request', message: 'not an S3 URI' },
    })
  })
})

describe('views', () => {
  it('filters each view on its own', () => {
    const store = createAppStore()
    store.getState().setFilterText('downloads', 'flux')
    store.getState().setStatusFilter('browse', 'missing')
    const { views } = store.getState()
    expect(views.downloads).toMatchObject({ filterText: 'flux', statusFilter: 'all' })
    expect(views.browse).toMatchObject({ filterText: '', statusFilter: 'missing' })
  })

  it('cycles a sort column ascending, descending, then back to config order', () => {
    const store = createAppStore()
    const sort = () => store.getState().views.downloads.sort
    expect(sort()).toEqual({ key: 'config', dir: 'asc' })
    store.getState().cycleSort('downloads', 'name')
    expect(sort()).toEqual({ key: 'name', dir: 'asc' })
    store.getState().cycleSort('downloads', 'name')
    expect(sort()).toEqual({ key: 'name', dir: 'desc' })
    store.getState().cycleSort('downloads', 'name')
    expect(sort()).toEqual({ key: 'config', dir: 'asc' })
  })

  it('starts another column ascending whatever the direction of the last one', () => {
    const store = createAppStore()
    store.getState().cycleSort('downloads', 'name')
    store.getState().cycleSort('downloads', 'name')
    store.getState().cycleSort('downloads', 'size')
    expect(store.getState().views.downloads.sort).toEqual({ key: 'size', dir: 'asc' })
  })

  it('toggles, sets and clears the selection', () => {
    const store = createAppStore()
    const selected = () => [...store.getState().views.downloads.selected].sort()
    store.getState().toggleSelected('downloads', 'a')
    store.getState().toggleSelected('downloads', 'b')
    store.getState().toggleSelected('downloads', 'a')
    expect(selected()).toEqual(['b'])
    store.getState().setSelected('downloads', ['a', 'c'], true)
    expect(selected()).toEqual(['a', 'b', 'c'])
    store.getState().setSelected('downloads', ['b', 'c'], false)
    expect(selected()).toEqual(['a'])
    store.getState().clearSelection('downloads')
    expect(selected()).toEqual([])
  })

  it('never changes a selection Set in place', () => {
    const store = createAppStore()
    const before = store.getState().views.downloads.selected
    store.getState().toggleSelected('downloads', 'a')
    expect(before.size).toBe(0)
    expect(store.getState().views.downloads.selected).not.toBe(before)
  })

  it('folds and unfolds groups, and setting a group as it already is changes nothing', () => {
    const store = createAppStore()
    store.getState().toggleCollapsed('downloads', 'loras')
    expect(store.getState().views.downloads.collapsed.has('loras')).toBe(true)
    const views = store.getState().views
    store.getState().setCollapsed('downloads', 'loras', true)
    expect(store.getState().views.downloads.collapsed).toBe(views.downloads.collapsed)
    store.getState().setCollapsed('downloads', 'loras', false)
    expect(store.getState().views.downloads.collapsed.has('loras')).toBe(false)
    store.getState().toggleCollapsed('downloads', 'vae')
    store.getState().toggleCollapsed('downloads', 'vae')
    expect(store.getState().views.downloads.collapsed.size).toBe(0)
  })
})

describe('toasts and focus requests', () => {
  it('keeps only the five newest toasts', () => {
    const store = createAppStore()
    const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => store.getState().pushToast('info', `message ${n}`))
    expect(new Set(ids).size).toBe(7)
    expect(store.getState().toasts.map((t) => t.message)).toEqual([
      'message 3',
      'message 4',
      'message 5',
      'message 6',
      'message 7',
    ])
  })

  it('dismisses a toast by id', () => {
    const store = createAppStore()
    const first = store.getState().pushToast('error', 'one')
    store.getState().pushToast('info', 'two')
    store.getState().dismissToast(first)
    expect(store.getState().toasts).toEqual([expect.objectContaining({ kind: 'info', message: 'two' })])
  })

  it('makes a repeated focus request distinct and goes to the downloads screen', () => {
    const store = createAppStore({ screen: 'settings' })
    store.getState().requestFocus(vae.id)
    const first = store.getState().focusRequest
    store.getState().requestFocus(vae.id)
    const second = store.getState().focusRequest
    expect(store.getState().screen).toBe('downloads')
    expect(first?.id).toBe(vae.id)
    expect(second?.seq).not.toBe(first?.seq)
  })
})
