// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { App } from '../../../src/renderer/src/App'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { connectBridge } from '../../../src/renderer/src/store/bridge'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import {
  batchProgress,
  loadedConfig,
  localState,
  MB,
  modelInfo,
  modelRecord,
  progressTick,
  serviceChange,
  serviceSnapshot,
} from '../support/fixtures'
import { useLayout } from '../support/layout'
import { rowOf, statusIn } from '../support/queries'
import { renderWithApp } from '../support/render'

useLayout()

const flux = modelInfo({ group: 'checkpoints', modelName: 'flux1-dev.safetensors', expectedSize: 1000 * MB })
const detail = modelInfo({ group: 'loras', modelName: 'detail.safetensors' })
const ae = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })
const config = loadedConfig([flux, detail, ae], { local: { [ae.id]: localState('installed') } })

let disconnect: (() => void) | null = null
afterEach(() => {
  disconnect?.()
  disconnect = null
  document.documentElement.classList.remove('dark')
  localStorage.clear()
})

/** The whole window, fed by the bridge as main.tsx wires it. */
function renderWindow(fake: FakeApi = createFakeApi({ currentConfig: () => config })) {
  const store = createAppStore()
  disconnect = connectBridge(fake.api, store)
  return renderWithApp(<App />, { store, fake })
}

describe('the window', () => {
  it('says it is connecting until the service answered, then shows the config', async () => {
    const fake = createFakeApi({ currentConfig: () => config })
    fake.hold('snapshot')
    renderWindow(fake)
    expect(screen.getByText('Connecting to the download service…')).toBeTruthy()
    act(() => fake.held('snapshot').resolve(serviceSnapshot([])))
    expect(await screen.findByRole('table', { name: 'Models in the config' })).toBeTruthy()
    expect(statusIn(rowOf('ae.safetensors'))).toBe('installed')
  })

  it('shows the empty state when the service has no config', async () => {
    renderWindow(createFakeApi())
    expect(await screen.findByRole('heading', { name: 'No model config loaded' })).toBeTruthy()
  })

  it('says the service did not answer, and gets there on Try again', async () => {
    const fake = createFakeApi({ currentConfig: () => config })
    fake.failWith('snapshot', 'The WebSocket closed: is modeldl serve still running?', 'unavailable')
    const { user } = renderWindow(fake)
    await waitFor(() =>
      expect(
        screen
          .getAllByRole('alert')
          .map((a) => a.textContent)
          .join('\n'),
      ).toContain('The WebSocket closed: is modeldl serve still running?'),
    )
    fake.handle('snapshot', () => serviceSnapshot([]))
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('table', { name: 'Models in the config' })).toBeTruthy()
  })

  it('downloads the missing models, and says how many there are', async () => {
    const { user, fake } = renderWindow()
    const button = await screen.findByRole('button', { name: 'Download missing (2)' })
    await user.click(button)
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.modelName)).toEqual([
      'flux1-dev.safetensors',
      'detail.safetensors',
    ])
    expect(await screen.findByText('Queued 2 models')).toBeTruthy()
  })

  it('makes Download missing the one filled button, and keeps the queued-toast beside the queue', async () => {
    const { user } = renderWindow()
    const missing = await screen.findByRole('button', { name: 'Download missing (2)' })
    const selected = screen.getByRole('button', { name: /^Download selected/ })
    expect(missing.className).toContain('btn-primary')
    expect(selected.className).not.toContain('btn-primary')
    expect(document.querySelectorAll('main .btn-primary')).toHaveLength(1)
    await user.click(missing)
    // The toast stack sits left of the docked queue panel (w-72), not over it.
    const stack = (await screen.findByText('Queued 2 models')).closest('.fixed')!
    expect(stack.className).toContain('min-[1200px]:right-[19.5rem]')
  })

  it('downloads every model of the config', async () => {
    const { user, fake } = renderWindow()
    await user.click(await screen.findByRole('button', { name: 'Download all' }))
    expect(fake.requestsOf('enqueue')[0]?.entries).toHaveLength(3)
  })

  it('follows a download from queued to completed through the service’s events', async () => {
    const { fake } = renderWindow()
    await screen.findByRole('table')
    const batch = (over: Parameters<typeof batchProgress>[0]) =>
      batchProgress({ models: 1, bytesTotal: 1000 * MB, ...over })
    act(() =>
      fake.emit(
        'onChanged',
        serviceChange([modelRecord(flux, { status: 'queued' })], {
          revision: 1,
          queue: [flux.id],
          batch: batch({}),
        }),
      ),
    )
    expect(statusIn(rowOf('flux1-dev.safetensors'))).toBe('queued')
    const queue = screen.getByRole('complementary', { name: 'Download queue' })
    expect(within(queue).getByText('flux1-dev.safetensors')).toBeTruthy()
    // The start arrives as a change with the whole record; its bytes then move in ticks.
    act(() =>
      fake.emit(
        'onChanged',
        serviceChange([modelRecord(flux, { status: 'progress' })], { revision: 2, batch: batch({}) }),
      ),
    )
    act(() =>
      fake.emit(
        'onProgress',
        progressTick(
          [
            {
              id: flux.id,
              downloaded: 250 * MB,
              totalSize: 1000 * MB,
              speedBps: 25 * MB,
            },
          ],
          batch({ bytesDone: 250 * MB, speedBps: 25 * MB, etaSeconds: 30 }),
          { revision: 3 },
        ),
      ),
    )
    expect(statusIn(rowOf('flux1-dev.safetensors'))).toBe('downloading')
    expect(
      screen
        .getByRole('progressbar', { name: 'flux1-dev.safetensors progress' })
        .getAttribute('aria-valuenow'),
    ).toBe('25')
    expect(screen.getByRole('banner').textContent).toContain('1 downloading · 25.0 MB/s')
    // The change that ends it carries the batch as the service summed it: no tick needed after it.
    act(() =>
      fake.emit(
        'onChanged',
        serviceChange([modelRecord(flux, { status: 'completed', downloaded: 1000 * MB })], {
          revision: 4,
          queue: [],
          batch: batch({ completed: 1, bytesDone: 1000 * MB, etaSeconds: 0 }),
        }),
      ),
    )
    expect(statusIn(rowOf('flux1-dev.safetensors'))).toBe('completed')
    expect(within(queue).queryByText('flux1-dev.safetensors')).toBeNull()
    expect(screen.getByRole('button', { name: 'Download missing (1)' })).toBeTruthy()
    const summary = screen.getByRole('region', { name: 'Latest batch' }).textContent
    expect(summary).toContain('1 of 1 model done')
    expect(summary).not.toContain('MB/s')
    expect(summary).not.toContain('ETA')
    // Nothing was listed again: the events said it all.
    expect(fake.requestsOf('list')).toEqual([])
    expect(fake.requestsOf('snapshot')).toHaveLength(1)
  })

  it('moves between screens from the header, and the queue is not beside Settings', async () => {
    const { user } = renderWindow()
    await screen.findByRole('table')
    const nav = screen.getByRole('navigation', { name: 'Screens' })
    expect(within(nav).getByRole('button', { name: 'Downloads' }).getAttribute('aria-current')).toBe('page')
    await user.click(within(nav).getByRole('button', { name: 'Settings' }))
    expect(screen.getByRole('form', { name: 'Settings' })).toBeTruthy()
    expect(screen.queryByRole('complementary', { name: 'Download queue' })).toBeNull()
    await user.click(within(nav).getByRole('button', { name: 'Browse source' }))
    expect(screen.getByRole('form', { name: 'Scan a source' })).toBeTruthy()
    expect(screen.getByRole('complementary', { name: 'Download queue' })).toBeTruthy()
  })

  it('jumps to the filter box with /', async () => {
    const { user } = renderWindow()
    await screen.findByRole('table')
    await user.keyboard('/')
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Filter models' }))
    expect((document.activeElement as HTMLInputElement).value).toBe('')
  })

  it('keeps a chosen theme and applies it', async () => {
    const { user } = renderWindow()
    await user.selectOptions(screen.getByRole('combobox', { name: 'Theme' }), 'Dark')
    expect(document.documentElement.classList.contains('dark')).toBe(true)
    expect(localStorage.getItem('modeldl.theme')).toBe('dark')
    await user.selectOptions(screen.getByRole('combobox', { name: 'Theme' }), 'Light')
    expect(document.documentElement.classList.contains('dark')).toBe(false)
  })

  it('opens the queue over a narrow window from the header', async () => {
    const { user, store } = renderWindow()
    const toggle = await screen.findByRole('button', { name: /^Queue/ })
    expect(toggle.getAttribute('aria-expanded')).toBe('false')
    expect(toggle.getAttribute('aria-controls')).toBe('queue-panel')
    await user.click(toggle)
    expect(store.getState().queueOpen).toBe(true)
    expect(toggle.getAttribute('aria-expanded')).toBe('true')
  })

  it('shows a notification’s model when it is clicked', async () => {
    const { fake, store } = renderWindow()
    await screen.findByRole('table')
    act(() => store.getState().setScreen('settings'))
    act(() => fake.emit('onFocusModel', { id: detail.id }))
    await waitFor(() => expect(document.activeElement).toBe(rowOf('detail.safetensors')))
  })
})
