// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { QUEUE_SHOWN, QueuePanel } from '../../../src/renderer/src/components/QueuePanel'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import type { BatchProgress, ModelRecord } from '../../../src/shared/service-contract'
import { batchProgress, MB, modelInfo, modelRecord, serviceSnapshot } from '../support/fixtures'
import { renderWithApp } from '../support/render'

const a = modelInfo({ group: 'checkpoints', modelName: 'flux1-dev.safetensors', expectedSize: 1000 * MB })
const b = modelInfo({ group: 'loras', modelName: 'detail.safetensors', expectedSize: 200 * MB })
const c = modelInfo({ group: 'vae', modelName: 'ae.safetensors', expectedSize: 300 * MB })

function renderQueue(records: ModelRecord[], batch?: BatchProgress) {
  const store = createAppStore()
  store.getState().setRecords(records)
  if (batch) store.getState().setBatch(batch)
  return renderWithApp(<QueuePanel />, { store })
}

const running = () => [
  modelRecord(a, { status: 'progress', downloaded: 250 * MB, speedBps: 30 * MB }),
  modelRecord(b, { status: 'queued' }),
  modelRecord(c, { status: 'paused', downloaded: 150 * MB }),
]

const entries = () =>
  within(screen.getByRole('list', { name: 'Queued downloads' }))
    .getAllByRole('listitem')
    .map((li) => li.textContent ?? '')

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement

describe('QueuePanel', () => {
  it('says the queue is empty and offers nothing to do', () => {
    renderQueue([modelRecord(a, { status: 'completed' })])
    expect(screen.getByRole('complementary', { name: 'Download queue' }).textContent).toContain(
      'Nothing in the queue',
    )
    expect(screen.queryByRole('list', { name: 'Queued downloads' })).toBeNull()
    expect(button('Pause all').disabled).toBe(true)
    expect(button('Resume all').disabled).toBe(true)
    expect(button('Cancel all').disabled).toBe(true)
  })

  it('lists the downloads in the service’s order with their position and status', () => {
    renderQueue(running())
    const items = entries()
    expect(items).toHaveLength(3)
    expect(items[0]).toMatch(/^1flux1-dev\.safetensorsdownloading/)
    expect(items[0]).toContain('30.0 MB/s')
    expect(items[1]).toMatch(/^2detail\.safetensorsqueued/)
    expect(items[2]).toMatch(/^3ae\.safetensorspaused/)
    expect(items[2]).toContain('50%')
  })

  it('follows the order the service reports', () => {
    const { store } = renderQueue(running())
    act(() => store.getState().setRecords([running()[2]!, running()[0]!, running()[1]!]))
    expect(entries().map((t) => t.slice(0, 4))).toEqual(['1ae.', '2flu', '3det'])
  })

  it('gives the queue’s entries no progressbar of their own: the table row has the named one', () => {
    renderQueue(running())
    expect(screen.queryAllByRole('progressbar')).toEqual([])
  })

  it('cannot move the first up or the last down', () => {
    renderQueue(running())
    expect(button('Move flux1-dev.safetensors to top').disabled).toBe(true)
    expect(button('Move flux1-dev.safetensors up').disabled).toBe(true)
    expect(button('Move flux1-dev.safetensors down').disabled).toBe(false)
    expect(button('Move ae.safetensors down').disabled).toBe(true)
    expect(button('Move ae.safetensors to top').disabled).toBe(false)
  })

  it('moves a model up, down and to the top; the order comes back with the service’s events', async () => {
    const { user, fake } = renderQueue(running())
    await user.click(button('Move detail.safetensors up'))
    await user.click(button('Move detail.safetensors down'))
    await user.click(button('Move ae.safetensors to top'))
    await act(async () => {})
    expect(fake.requestsOf('move')).toEqual([
      { id: b.id, position: 'up' },
      { id: b.id, position: 'down' },
      { id: c.id, position: 'top' },
    ])
    expect(fake.requestsOf('list')).toEqual([])
  })

  it('pauses and resumes everything', async () => {
    const { user, fake } = renderQueue(running())
    await user.click(button('Pause all'))
    await user.click(button('Resume all'))
    expect(fake.calls.map((call) => [call.method, call.request])).toEqual([
      ['pause', { all: true }],
      ['resume', { all: true }],
    ])
  })

  it('offers Resume all only when something is paused, and Pause all only when something runs', () => {
    renderQueue([modelRecord(a, { status: 'paused' })])
    expect(button('Resume all').disabled).toBe(false)
    expect(button('Pause all').disabled).toBe(true)
  })

  describe('Cancel all', () => {
    it('asks first, with the safe answer focused, and cancels nothing when the user keeps downloading', async () => {
      const { user, fake } = renderQueue(running())
      await user.click(button('Cancel all'))
      const dialog = screen.getByRole('alertdialog', { name: 'Cancel every download?' })
      expect(dialog.textContent).toContain('3 downloads will stop and their partial files will be deleted')
      expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Keep downloading' }))
      await user.click(within(dialog).getByRole('button', { name: 'Keep downloading' }))
      expect(screen.queryByRole('alertdialog')).toBeNull()
      expect(fake.requestsOf('cancel')).toEqual([])
    })

    it('cancels everything once confirmed', async () => {
      const { user, fake } = renderQueue(running())
      await user.click(button('Cancel all'))
      await user.click(screen.getByRole('button', { name: 'Yes, cancel everything' }))
      expect(fake.requestsOf('cancel')).toEqual([{ all: true }])
      expect(screen.queryByRole('alertdialog')).toBeNull()
    })

    it('takes Escape as no', async () => {
      const { user, fake } = renderQueue(running())
      await user.click(button('Cancel all'))
      await user.keyboard('{Escape}')
      expect(screen.queryByRole('alertdialog')).toBeNull()
      expect(fake.requestsOf('cancel')).toEqual([])
    })

    it('shows why the service refused', async () => {
      const { user, fake, store } = renderQueue(running())
      fake.failWith('cancel', 'The service is stopping: try again in a moment', 'unavailable')
      await user.click(button('Cancel all'))
      await user.click(screen.getByRole('button', { name: 'Yes, cancel everything' }))
      await act(async () => {})
      expect(store.getState().toasts.map((t) => t.message)).toEqual([
        'The service is stopping: try again in a moment',
      ])
    })
  })

  describe('the latest batch', () => {
    it('shows its progress, bytes, speed and ETA while it runs', () => {
      renderQueue(
        running(),
        batchProgress({
          models: 5,
          completed: 2,
          failed: 1,
          cancelled: 1,
          bytesDone: 600 * MB,
          bytesTotal: 1500 * MB,
          speedBps: 30 * MB,
          etaSeconds: 30,
        }),
      )
      const batch = screen.getByRole('region', { name: 'Latest batch' })
      expect(batch.textContent).toContain('2 of 5 models done')
      expect(batch.textContent).toContain('1 failed')
      expect(batch.textContent).toContain('1 cancelled')
      expect(batch.textContent).toContain('600 MB / 1.5 GB')
      expect(batch.textContent).toContain('30.0 MB/s')
      expect(batch.textContent).toContain('ETA 30s')
      expect(
        within(batch).getByRole('progressbar', { name: 'Batch progress' }).getAttribute('aria-valuenow'),
      ).toBe('40')
    })

    it('drops the speed and ETA once every model of it ended', () => {
      renderQueue([], batchProgress({ models: 2, completed: 2, bytesDone: 10, bytesTotal: 10, speedBps: 5 }))
      const batch = screen.getByRole('region', { name: 'Latest batch' })
      expect(batch.textContent).toContain('2 of 2 models done')
      expect(batch.textContent).not.toContain('ETA')
    })

    it('after Cancel all on 30, says 30 cancelled with no speed or ETA', () => {
      const store = createAppStore()
      const cancelled = Array.from({ length: 30 }, (_, i) =>
        modelRecord(modelInfo({ modelName: `m-${i}.safetensors` }), { status: 'cancelled' }),
      )
      store.getState().applySnapshot(
        serviceSnapshot(cancelled, {
          batch: batchProgress({ models: 30, cancelled: 30, bytesTotal: 3000 * MB }),
        }),
      )
      renderWithApp(<QueuePanel />, { store })
      const batch = screen.getByRole('region', { name: 'Latest batch' })
      expect(batch.textContent).toContain('0 of 30 models done')
      expect(batch.textContent).toContain('30 cancelled')
      expect(batch.textContent).not.toMatch(/B\/s|ETA/)
    })

    it('shows no speed or ETA while nothing of it downloads (paused)', () => {
      const store = createAppStore()
      const paused = [modelRecord(a, { status: 'paused', downloaded: 100 * MB })]
      store.getState().applySnapshot(
        serviceSnapshot(paused, {
          batch: batchProgress({ models: 1, bytesDone: 100 * MB, bytesTotal: 1000 * MB, speedBps: 0 }),
        }),
      )
      renderWithApp(<QueuePanel />, { store })
      const batch = screen.getByRole('region', { name: 'Latest batch' })
      expect(batch.textContent).toContain('0 of 1 model done')
      expect(batch.textContent).not.toMatch(/B\/s|ETA/)
    })

    it('is not shown without a batch', () => {
      renderQueue(running(), batchProgress({ batchId: null }))
      expect(screen.queryByRole('region', { name: 'Latest batch' })).toBeNull()
    })
  })

  it(`shows the first ${QUEUE_SHOWN} and says how many more wait`, () => {
    const many = Array.from({ length: QUEUE_SHOWN + 25 }, (_, i) =>
      modelRecord(modelInfo({ modelName: `m-${i}.safetensors` }), { status: 'queued' }),
    )
    renderQueue(many)
    const items = entries()
    expect(items).toHaveLength(QUEUE_SHOWN + 1)
    expect(items.at(-1)).toBe('…and 25 more waiting')
    expect(screen.getByRole('complementary').textContent).toContain(String(QUEUE_SHOWN + 25))
  })
})
