// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import type { LocalInfo, ModelInfo } from '../../../src/shared/api-contract'
import type { ModelRecord } from '../../../src/shared/service-contract'
import {
  createAppStore,
  emptyView,
  type AppStore,
  type ViewState,
} from '../../../src/renderer/src/store/app-store'
import { indexGroups } from '../../../src/renderer/src/store/groups'
import {
  buildListItems,
  missingIds,
  needsStatus,
  selectConfigCounts,
  selectGroupSummary,
  selectQueueItem,
  selectRow,
  type ListItem,
} from '../../../src/renderer/src/store/selectors'
import {
  loadedConfig,
  localState,
  MB,
  modelInfo,
  modelRecord,
  scannedModel,
  scanPage,
} from '../support/fixtures'

const m = (group: string, modelName: string, expectedSize = 100 * MB) =>
  modelInfo({ group, modelName, expectedSize })

function storeWith(
  models: ModelInfo[],
  records: ModelRecord[] = [],
  local: Record<string, LocalInfo> = {},
): AppStore {
  const store = createAppStore()
  store.getState().applyConfig(loadedConfig(models, { local }))
  store.getState().setRecords(records)
  return store
}

describe('selectRow', () => {
  const model = m('loras', 'detail.safetensors', 200 * MB)

  it('describes a model the service has no record of from the config and the disk', () => {
    const store = storeWith([model], [], { [model.id]: localState('partial', 50 * MB) })
    expect(selectRow(store.getState(), 'downloads', model.id)).toMatchObject({
      exists: true,
      name: 'detail.safetensors',
      group: 'loras',
      size: 200 * MB,
      localPath: model.id,
      s3Uri: model.s3Uri,
      status: 'missing',
      hint: 'resumable',
      localBytes: 50 * MB,
      hasRecord: false,
      downloaded: 0,
      total: 200 * MB,
      error: undefined,
      selected: false,
    })
  })

  it('takes the bytes, speed, ETA and phase of a running download from its record', () => {
    const record = modelRecord(model, {
      status: 'progress',
      downloaded: 80 * MB,
      totalSize: 210 * MB,
      speedBps: 9 * MB,
      etaSeconds: 14,
      phase: 'fetching',
    })
    const store = storeWith([model], [record], { [model.id]: localState('partial', 1) })
    expect(selectRow(store.getState(), 'downloads', model.id)).toMatchObject({
      status: 'downloading',
      hasRecord: true,
      downloaded: 80 * MB,
      total: 210 * MB,
      speedBps: 9 * MB,
      etaSeconds: 14,
      phase: 'fetching',
      // The record speaks for the bytes, not the stat of the .part file.
      localBytes: undefined,
    })
  })

  it('falls back to the expected size while the service does not know the total yet', () => {
    const store = storeWith([model], [modelRecord(model, { status: 'queued', totalSize: 0 })])
    expect(selectRow(store.getState(), 'downloads', model.id).total).toBe(200 * MB)
  })

  it('gives the reason of a failure, its message before its code', () => {
    const failed = modelRecord(model, {
      status: 'failed',
      errorCode: 'access_denied',
      errorMessage: 'Access denied',
    })
    expect(selectRow(storeWith([model], [failed]).getState(), 'downloads', model.id).error).toBe(
      'Access denied',
    )
    const codeOnly = modelRecord(model, { status: 'failed', errorCode: 'checksum_mismatch' })
    expect(selectRow(storeWith([model], [codeOnly]).getState(), 'downloads', model.id).error).toBe(
      'checksum_mismatch',
    )
  })

  it('gives no error for a model that is not failed, even if its record kept an old one', () => {
    const retried = modelRecord(model, { status: 'queued', errorCode: 'timeout', errorMessage: 'timed out' })
    expect(selectRow(storeWith([model], [retried]).getState(), 'downloads', model.id).error).toBeUndefined()
  })

  it('says whether the row is selected in its own view', () => {
    const store = storeWith([model])
    store.getState().toggleSelected('downloads', model.id)
    expect(selectRow(store.getState(), 'downloads', model.id).selected).toBe(true)
    expect(selectRow(store.getState(), 'browse', model.id).selected).toBe(false)
  })

  it('describes a record whose model is not in the config from the record', () => {
    const other = m('vae', 'gone.safetensors', 3 * MB)
    const store = storeWith([model], [modelRecord(other, { status: 'paused', downloaded: MB })])
    expect(selectRow(store.getState(), 'downloads', other.id)).toMatchObject({
      exists: false,
      name: 'gone.safetensors',
      group: 'vae',
      size: 3 * MB,
      status: 'paused',
    })
  })

  it('reads the browse view from the scan', () => {
    const scanned = scannedModel({ group: 'unet', modelName: 'scanned.gguf', expectedSize: 7 * MB })
    const store = createAppStore()
    store.getState().scanStarting('s3://x/', false)
    store.getState().scanStarted('scan-1')
    store.getState().applyScanProgress(scanPage({ models: [scanned] }))
    expect(selectRow(store.getState(), 'browse', scanned.id)).toMatchObject({
      exists: true,
      name: 'scanned.gguf',
      size: 7 * MB,
    })
    expect(selectRow(store.getState(), 'downloads', scanned.id).exists).toBe(false)
  })
})

describe('selectGroupSummary', () => {
  const installed = m('loras', 'installed.safetensors', 100)
  const completed = m('loras', 'completed.safetensors', 200)
  const running = m('loras', 'running.safetensors', 1000)
  const failed = m('loras', 'failed.safetensors', 10)
  const missing = m('loras', 'missing.safetensors', 20)
  const cancelled = m('loras', 'cancelled.safetensors', 40)
  const other = m('vae', 'ae.safetensors', 5)

  const store = () => {
    const s = storeWith(
      [installed, completed, running, failed, missing, cancelled, other],
      [
        modelRecord(completed, { status: 'completed' }),
        modelRecord(running, { status: 'progress', downloaded: 300 }),
        modelRecord(failed, { status: 'failed' }),
        modelRecord(cancelled, { status: 'cancelled' }),
      ],
      { [installed.id]: localState('installed'), [completed.id]: localState('installed') },
    )
    s.getState().setSelected('downloads', [missing.id, failed.id, other.id], true)
    return s
  }

  it('counts a group’s models, what is on disk, in the queue, missing and failed', () => {
    expect(selectGroupSummary(store().getState(), 'downloads', 'loras')).toEqual({
      count: 6,
      installed: 2,
      missing: 3,
      active: 1,
      failed: 1,
      bytesTotal: 1370,
      // Complete files plus the bytes of the running download.
      bytesOnDisk: 100 + 200 + 300,
      selected: 2,
      collapsed: false,
    })
  })

  it('never counts more bytes on disk for a download than the model’s size', () => {
    const model = m('vae', 'odd.safetensors', 100)
    const s = storeWith([model], [modelRecord(model, { status: 'progress', downloaded: 150 })])
    expect(selectGroupSummary(s.getState(), 'downloads', 'vae').bytesOnDisk).toBe(100)
  })

  it('says when the group is folded', () => {
    const s = store()
    s.getState().toggleCollapsed('downloads', 'vae')
    expect(selectGroupSummary(s.getState(), 'downloads', 'vae')).toMatchObject({ count: 1, collapsed: true })
  })

  it('is all zeros for a group the view does not have', () => {
    expect(selectGroupSummary(store().getState(), 'downloads', 'unet')).toMatchObject({
      count: 0,
      bytesTotal: 0,
    })
  })
})

describe('missingIds', () => {
  const a = m('loras', 'a.safetensors')
  const b = m('loras', 'b.safetensors')
  const c = m('loras', 'c.safetensors')
  const d = m('vae', 'd.safetensors')
  const e = m('vae', 'e.safetensors')
  const store = storeWith(
    [a, b, c, d, e],
    [
      modelRecord(b, { status: 'queued' }),
      modelRecord(c, { status: 'failed' }),
      modelRecord(e, { status: 'cancelled' }),
    ],
    { [d.id]: localState('installed') },
  )

  it('picks the models of a group that are neither on disk nor in the queue', () => {
    expect(missingIds(store.getState(), 'downloads', 'loras')).toEqual([a.id, c.id])
  })

  it('picks them over every group without one', () => {
    expect(missingIds(store.getState(), 'downloads')).toEqual([a.id, c.id, e.id])
  })
})

describe('selectConfigCounts and selectQueueItem', () => {
  it('counts the config’s models and the missing ones', () => {
    const a = m('loras', 'a.safetensors')
    const b = m('loras', 'b.safetensors')
    const c = m('vae', 'c.safetensors')
    const store = storeWith([a, b, c], [modelRecord(b, { status: 'progress' })], {
      [c.id]: localState('installed'),
    })
    expect(selectConfigCounts(store.getState())).toEqual({ total: 3, missing: 1 })
  })

  it('describes a queue entry from its record', () => {
    const a = m('loras', 'a.safetensors', 500)
    const store = storeWith([a], [modelRecord(a, { status: 'progress', downloaded: 100, speedBps: 42 })])
    expect(selectQueueItem(store.getState(), a.id)).toEqual({
      name: 'a.safetensors',
      status: 'downloading',
      downloaded: 100,
      total: 500,
      speedBps: 42,
    })
  })
})

describe('buildListItems', () => {
  const ckpt = m('checkpoints', 'flux1-dev.safetensors', 23 * 1000 * MB)
  const lora10 = m('loras', 'style-10.safetensors', 50 * MB)
  const lora2 = m('loras', 'style-2.safetensors', 150 * MB)
  const loraB = m('loras', 'Bokeh.safetensors', 50 * MB)
  const vae = m('vae', 'ae.safetensors', 300 * MB)
  const models = [ckpt, lora10, lora2, loraB, vae]
  const statuses = new Map<string, ModelRecord['status']>([
    [lora2.id, 'progress'],
    [loraB.id, 'failed'],
  ])
  const local = new Map<string, LocalInfo>([
    [ckpt.id, localState('installed')],
    [vae.id, localState('installed')],
  ])

  const list = (view: Partial<ViewState> = {}, withStatus = true) =>
    buildListItems({
      models: new Map(models.map((x) => [x.id, x])),
      groups: indexGroups(models),
      view: { ...emptyView(), ...view },
      statuses: withStatus ? statuses : null,
      local: withStatus ? local : null,
    })
  const names = (items: ListItem[]) =>
    items.map((it) =>
      it.kind === 'group' ? `# ${it.group} (${it.shown})` : models.find((x) => x.id === it.id)!.modelName,
    )

  it('lists each group’s header and then its models, in config order', () => {
    expect(names(list())).toEqual([
      '# checkpoints (1)',
      'flux1-dev.safetensors',
      '# loras (3)',
      'style-10.safetensors',
      'style-2.safetensors',
      'Bokeh.safetensors',
      '# vae (1)',
      'ae.safetensors',
    ])
  })

  it('filters by name, ignoring case, and hides groups left empty', () => {
    expect(names(list({ filterText: '  STYLE ' }))).toEqual([
      '# loras (2)',
      'style-10.safetensors',
      'style-2.safetensors',
    ])
  })

  it('filters by local path too', () => {
    expect(names(list({ filterText: '/vae/' }))).toEqual(['# vae (1)', 'ae.safetensors'])
  })

  it('filters by the status a row shows', () => {
    expect(names(list({ statusFilter: 'installed' }))).toEqual([
      '# checkpoints (1)',
      'flux1-dev.safetensors',
      '# vae (1)',
      'ae.safetensors',
    ])
    expect(names(list({ statusFilter: 'missing' }))).toEqual(['# loras (1)', 'style-10.safetensors'])
    expect(names(list({ statusFilter: 'downloading' }))).toEqual(['# loras (1)', 'style-2.safetensors'])
  })

  it('lists nothing when no model matches', () => {
    expect(list({ filterText: 'nothing like this' })).toEqual([])
  })

  it('sorts by name within each group with numbers in numeric order, and backwards', () => {
    expect(names(list({ sort: { key: 'name', dir: 'asc' } })).slice(2, 6)).toEqual([
      '# loras (3)',
      'Bokeh.safetensors',
      'style-2.safetensors',
      'style-10.safetensors',
    ])
    expect(names(list({ sort: { key: 'name', dir: 'desc' } })).slice(2, 6)).toEqual([
      '# loras (3)',
      'style-10.safetensors',
      'style-2.safetensors',
      'Bokeh.safetensors',
    ])
  })

  it('sorts by size, equal sizes by name, and keeps the groups in config order', () => {
    const asc = names(list({ sort: { key: 'size', dir: 'asc' } }))
    expect(asc).toEqual([
      '# checkpoints (1)',
      'flux1-dev.safetensors',
      '# loras (3)',
      'Bokeh.safetensors',
      'style-10.safetensors',
      'style-2.safetensors',
      '# vae (1)',
      'ae.safetensors',
    ])
    expect(names(list({ sort: { key: 'size', dir: 'desc' } })).slice(3, 6)).toEqual([
      'style-2.safetensors',
      // Equal sizes stay in name order whichever way the sizes run.
      'Bokeh.safetensors',
      'style-10.safetensors',
    ])
  })

  it('sorts by status, what needs attention first', () => {
    expect(names(list({ sort: { key: 'status', dir: 'asc' } })).slice(2, 6)).toEqual([
      '# loras (3)',
      'style-2.safetensors', // downloading
      'Bokeh.safetensors', // failed
      'style-10.safetensors', // missing
    ])
  })

  it('keeps a folded group’s header, with how many rows it holds, and none of its rows', () => {
    expect(names(list({ collapsed: new Set(['loras']) }))).toEqual([
      '# checkpoints (1)',
      'flux1-dev.safetensors',
      '# loras (3)',
      '# vae (1)',
      'ae.safetensors',
    ])
  })

  it('keys every item uniquely for the virtualizer', () => {
    const keys = list().map((it) => it.key)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('needs statuses only to filter or sort by them', () => {
    expect(needsStatus(emptyView())).toBe(false)
    expect(needsStatus({ statusFilter: 'failed', sort: { key: 'config', dir: 'asc' } })).toBe(true)
    expect(needsStatus({ statusFilter: 'all', sort: { key: 'status', dir: 'asc' } })).toBe(true)
    expect(needsStatus({ statusFilter: 'all', sort: { key: 'size', dir: 'desc' } })).toBe(false)
  })
})
