// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ModelTable } from '../../../src/renderer/src/components/ModelTable'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import type { LocalInfo, ModelInfo } from '../../../src/shared/api-contract'
import type { ModelRecord } from '../../../src/shared/service-contract'
import {
  appInfo,
  loadedConfig,
  localState,
  MB,
  modelInfo,
  modelRecord,
  progressTick,
} from '../support/fixtures'
import { useLayout } from '../support/layout'
import { rowOf, shownModelNames, statusIn } from '../support/queries'
import { renderWithApp } from '../support/render'

useLayout()

const vae = modelInfo({ group: 'vae', modelName: 'ae.safetensors', expectedSize: 300 * MB })
const lora = modelInfo({ group: 'loras', modelName: 'detail.safetensors', expectedSize: 200 * MB })
const lora2 = modelInfo({ group: 'loras', modelName: 'bokeh.safetensors', expectedSize: 50 * MB })

function renderTable(
  models: ModelInfo[] = [vae, lora, lora2],
  {
    records = [],
    local = {},
    reveal = false,
  }: { records?: ModelRecord[]; local?: Record<string, LocalInfo>; reveal?: boolean } = {},
) {
  const store = createAppStore()
  store.getState().applyConfig(loadedConfig(models, { local }))
  store.getState().setRecords(records)
  store.getState().setAppInfo(appInfo({ capabilities: { reveal } }))
  return renderWithApp(<ModelTable view="downloads" label="Models in the config" />, { store })
}

/** Focus moves after a frame or two: wait until this element has it. */
const waitForFocus = (element: () => HTMLElement) =>
  waitFor(() => expect(document.activeElement).toBe(element()))

const buttonNames = (row: HTMLElement) =>
  within(row)
    .queryAllByRole('button')
    .map((b) => b.getAttribute('aria-label'))

describe('ModelTable', () => {
  it('draws a table of group headers and one row per model', () => {
    renderTable()
    const table = screen.getByRole('table', { name: 'Models in the config' })
    expect(table.getAttribute('aria-rowcount')).toBe('6') // column header + 2 groups + 3 models
    expect(within(table).getByRole('button', { name: 'vae' }).getAttribute('aria-expanded')).toBe('true')
    expect(within(table).getByRole('button', { name: 'loras' })).toBeTruthy()
    expect(shownModelNames()).toEqual(['ae.safetensors', 'detail.safetensors', 'bokeh.safetensors'])
    // Column header 1, vae 2, ae 3, loras 4, detail 5.
    expect(rowOf('detail.safetensors').getAttribute('aria-rowindex')).toBe('5')
  })

  it('renders only the rows in view when there are many (virtualized)', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      modelInfo({ group: 'loras', modelName: `lora-${i}.safetensors` }),
    )
    renderTable(many)
    const shown = shownModelNames()
    expect(shown[0]).toBe('lora-0.safetensors')
    expect(shown.length).toBeGreaterThan(10)
    expect(shown.length).toBeLessThan(60)
    expect(screen.getByRole('table').getAttribute('aria-rowcount')).toBe('302')
  })

  it('shows the full local path on hover and the size in decimal units', () => {
    renderTable()
    const row = rowOf('ae.safetensors')
    const cells = within(row).getAllByRole('cell')
    expect(cells.some((c) => c.getAttribute('title') === vae.localPath)).toBe(true)
    // The name's tooltip carries it too, for tables too narrow for the path column.
    expect(cells.find((c) => c.textContent === 'ae.safetensors')?.getAttribute('title')).toBe(
      `ae.safetensors\n${vae.localPath}`,
    )
    expect(cells.some((c) => c.textContent === '300 MB')).toBe(true)
  })

  describe('a row in each state', () => {
    it('missing: the word, a Download button, and no progress bar before any record', () => {
      renderTable()
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('missing')
      expect(within(row).getByRole('button', { name: 'Download ae.safetensors' })).toBeTruthy()
      expect(within(row).queryByRole('progressbar')).toBeNull()
      expect(buttonNames(row)).not.toContain('Pause ae.safetensors')
      expect(buttonNames(row)).not.toContain('Cancel ae.safetensors')
    })

    it('missing with a .part on disk: says it is resumable and how much is there', () => {
      renderTable([vae], { local: { [vae.id]: localState('partial', 120 * MB) } })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('missing')
      expect(row.textContent).toContain('resumable · 120 MB on disk')
    })

    it('missing with a file of another size: says so', () => {
      renderTable([vae], { local: { [vae.id]: localState('wrong_size', 7 * MB) } })
      expect(rowOf('ae.safetensors').textContent).toContain('different size · 7.0 MB on disk')
    })

    it('queued: Pause and Cancel, and a bar at 0', () => {
      renderTable([vae], { records: [modelRecord(vae, { status: 'queued' })] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('queued')
      expect(buttonNames(row)).toEqual(
        expect.arrayContaining(['Pause ae.safetensors', 'Cancel ae.safetensors']),
      )
      expect(buttonNames(row)).not.toContain('Download ae.safetensors')
      expect(
        within(row)
          .getByRole('progressbar', { name: 'ae.safetensors progress' })
          .getAttribute('aria-valuenow'),
      ).toBe('0')
    })

    it('downloading: a named bar with its percent, bytes, speed and ETA, Pause and Cancel', () => {
      const record = modelRecord(vae, {
        status: 'progress',
        phase: 'fetching',
        downloaded: 120 * MB,
        totalSize: 300 * MB,
        speedBps: 25 * MB,
        etaSeconds: 7,
      })
      renderTable([vae], { records: [record] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('downloading')
      const bar = within(row).getByRole('progressbar', { name: 'ae.safetensors progress' })
      expect(bar.getAttribute('aria-valuenow')).toBe('40')
      expect(row.textContent).toContain('40%')
      expect(row.textContent).toContain('120 / 300 MB · 25.0 MB/s · 7s')
      expect(buttonNames(row)).toEqual(
        expect.arrayContaining(['Pause ae.safetensors', 'Cancel ae.safetensors']),
      )
    })

    it('downloading while verifying: says the phase instead of a speed', () => {
      const record = modelRecord(vae, {
        status: 'progress',
        phase: 'verifying',
        downloaded: 300 * MB,
        totalSize: 300 * MB,
      })
      renderTable([vae], { records: [record] })
      expect(rowOf('ae.safetensors').textContent).toContain('300 / 300 MB · verifying')
    })

    it('paused: Resume and Cancel, and the bytes so far', () => {
      renderTable([vae], { records: [modelRecord(vae, { status: 'paused', downloaded: 30 * MB })] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('paused')
      expect(buttonNames(row)).toEqual(
        expect.arrayContaining(['Resume ae.safetensors', 'Cancel ae.safetensors']),
      )
      expect(buttonNames(row)).not.toContain('Pause ae.safetensors')
      expect(row.textContent).toContain('30.0 / 300 MB')
      expect(within(row).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('10')
    })

    it('failed: the reason and a Retry button', () => {
      const record = modelRecord(vae, {
        status: 'failed',
        errorCode: 'access_denied',
        errorMessage: 'Access denied by the bucket: check the AWS profile in Settings',
      })
      renderTable([vae], { records: [record] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('failed')
      expect(
        within(row).getByText('Access denied by the bucket: check the AWS profile in Settings'),
      ).toBeTruthy()
      expect(buttonNames(row)).toContain('Retry ae.safetensors')
      expect(buttonNames(row)).not.toContain('Download ae.safetensors')
    })

    it('cancelled: Download again, and no bar (its partial file is gone, whatever bytes it had)', () => {
      renderTable([vae], { records: [modelRecord(vae, { status: 'cancelled', downloaded: 84 * MB })] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('cancelled')
      expect(within(row).queryByRole('progressbar')).toBeNull()
      expect(row.textContent).not.toContain('%')
      expect(buttonNames(row)).toContain('Download ae.safetensors')
      expect(buttonNames(row)).not.toContain('Cancel ae.safetensors')
    })

    it('completed: a full bar and no transfer buttons', () => {
      renderTable([vae], { records: [modelRecord(vae, { status: 'completed', downloaded: 300 * MB })] })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('completed')
      expect(
        within(row)
          .getByRole('progressbar', { name: 'ae.safetensors progress' })
          .getAttribute('aria-valuenow'),
      ).toBe('100')
      for (const verb of ['Download', 'Pause', 'Resume', 'Cancel', 'Retry']) {
        expect(buttonNames(row)).not.toContain(`${verb} ae.safetensors`)
      }
    })

    it('completed by size only: a caution marker whose tooltip says why and what to do', () => {
      renderTable([vae, lora], {
        records: [
          modelRecord(vae, {
            status: 'completed',
            downloaded: 300 * MB,
            verifiedBy: ['size only'],
            etag: '"0123-2"',
          }),
          modelRecord(lora, { status: 'completed', downloaded: 200 * MB, verifiedBy: ['MD5 ETag'] }),
        ],
      })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('completed')
      const marker = within(row).getByText('size only')
      expect(marker.getAttribute('title')).toMatch(
        /^Size only\. Only its length was checked: the store gave no checksum and its ETag is not an MD5\. Add a sha256 to its config entry/,
      )
      // A checked file says nothing more than completed.
      expect(within(rowOf('detail.safetensors')).queryByText('size only')).toBeNull()
    })

    it('a completed record whose file was deleted since: missing, with no bar saying 100%', () => {
      renderTable([vae], {
        records: [modelRecord(vae, { status: 'completed', downloaded: 300 * MB })],
        local: { [vae.id]: localState('missing') },
      })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('missing')
      expect(within(row).queryByRole('progressbar')).toBeNull()
      expect(buttonNames(row)).toContain('Download ae.safetensors')
    })

    it('a cancelled record with a complete file on disk: installed, and the bar at 100%', () => {
      renderTable([vae], {
        records: [modelRecord(vae, { status: 'cancelled', downloaded: 120 * MB })],
        local: { [vae.id]: localState('installed') },
      })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('installed')
      expect(
        within(row)
          .getByRole('progressbar', { name: 'ae.safetensors progress' })
          .getAttribute('aria-valuenow'),
      ).toBe('100')
    })

    it('installed: no bar and no Download', () => {
      renderTable([vae], { local: { [vae.id]: localState('installed') } })
      const row = rowOf('ae.safetensors')
      expect(statusIn(row)).toBe('installed')
      expect(within(row).queryByRole('progressbar')).toBeNull()
      expect(buttonNames(row)).not.toContain('Download ae.safetensors')
    })

    it('offers Reveal in folder for a model on disk only where the shell can reveal', () => {
      renderTable([vae], { local: { [vae.id]: localState('installed') }, reveal: true })
      expect(
        within(rowOf('ae.safetensors')).getByRole('button', { name: 'Reveal ae.safetensors in folder' }),
      ).toBeTruthy()
    })

    it('offers no Reveal in a browser', () => {
      renderTable([vae], { local: { [vae.id]: localState('installed') }, reveal: false })
      expect(buttonNames(rowOf('ae.safetensors'))).not.toContain('Reveal ae.safetensors in folder')
    })
  })

  describe('row actions', () => {
    it('Download queues that model', async () => {
      const { user, fake } = renderTable()
      await user.click(screen.getByRole('button', { name: 'Download detail.safetensors' }))
      expect(fake.requestsOf('enqueue')).toEqual([
        {
          entries: [expect.objectContaining({ modelName: 'detail.safetensors', localPath: lora.localPath })],
        },
      ])
    })

    it('Pause, Resume, Cancel and Retry act on that model only', async () => {
      const { user, fake } = renderTable([vae, lora, lora2], {
        records: [
          modelRecord(vae, { status: 'progress' }),
          modelRecord(lora, { status: 'paused' }),
          modelRecord(lora2, { status: 'failed' }),
        ],
      })
      await user.click(screen.getByRole('button', { name: 'Pause ae.safetensors' }))
      await user.click(screen.getByRole('button', { name: 'Resume detail.safetensors' }))
      await user.click(screen.getByRole('button', { name: 'Cancel ae.safetensors' }))
      await user.click(screen.getByRole('button', { name: 'Retry bokeh.safetensors' }))
      expect(fake.calls.map((c) => [c.method, c.request])).toEqual([
        ['pause', { ids: [vae.id] }],
        ['resume', { ids: [lora.id] }],
        ['cancel', { ids: [vae.id] }],
        ['retry', { ids: [lora2.id] }],
      ])
    })

    it('Reveal asks the shell for that model', async () => {
      const { user, fake } = renderTable([vae], {
        local: { [vae.id]: localState('installed') },
        reveal: true,
      })
      await user.click(screen.getByRole('button', { name: 'Reveal ae.safetensors in folder' }))
      expect(fake.requestsOf('reveal')).toEqual([{ id: vae.id }])
    })

    it('Copy S3 path puts the path on the clipboard and says so', async () => {
      const { user, store } = renderTable()
      await user.click(screen.getByRole('button', { name: 'Copy S3 path of ae.safetensors' }))
      await expect(navigator.clipboard.readText()).resolves.toBe(vae.s3Uri)
      expect(store.getState().toasts.map((t) => t.message)).toEqual([`Copied ${vae.s3Uri}`])
    })

    it('Details opens the drawer on that model', async () => {
      const { user, store } = renderTable()
      await user.click(screen.getByRole('button', { name: 'Details for detail.safetensors' }))
      expect(store.getState().drawer).toEqual({ view: 'downloads', id: lora.id })
    })

    it('the checkbox selects the row', async () => {
      const { user, store } = renderTable()
      const box = screen.getByRole('checkbox', { name: 'Select ae.safetensors' }) as HTMLInputElement
      await user.click(box)
      expect(box.checked).toBe(true)
      expect([...store.getState().views.downloads.selected]).toEqual([vae.id])
      await user.click(box)
      expect(store.getState().views.downloads.selected.size).toBe(0)
    })

    it('Select all shown selects every row the filter shows', async () => {
      const { user, store } = renderTable()
      act(() => store.getState().setFilterText('downloads', 'safetensors'))
      await user.click(screen.getByRole('checkbox', { name: 'Select all shown' }))
      expect(store.getState().views.downloads.selected.size).toBe(3)
      act(() => store.getState().setFilterText('downloads', 'bokeh'))
      const all = screen.getByRole('checkbox', { name: 'Select all shown' }) as HTMLInputElement
      expect(all.checked).toBe(true)
      await user.click(all)
      expect([...store.getState().views.downloads.selected].sort()).toEqual([vae.id, lora.id].sort())
    })
  })

  it('moves a row’s bar with each progress tick', () => {
    const { store } = renderTable([vae], {
      records: [modelRecord(vae, { status: 'progress', totalSize: 300 * MB })],
    })
    const bar = screen.getByRole('progressbar', { name: 'ae.safetensors progress' })
    expect(bar.getAttribute('aria-valuenow')).toBe('0')
    act(() =>
      store
        .getState()
        .mergeProgress(progressTick([{ id: vae.id, downloaded: 150 * MB, totalSize: 300 * MB }])),
    )
    expect(
      screen.getByRole('progressbar', { name: 'ae.safetensors progress' }).getAttribute('aria-valuenow'),
    ).toBe('50')
    act(() =>
      store.getState().applyChanged({ records: [modelRecord(vae, { status: 'completed' })], removed: [] }),
    )
    expect(statusIn(rowOf('ae.safetensors'))).toBe('completed')
  })

  describe('sorting by column', () => {
    it('sorts by name ascending, then descending, then back to config order', async () => {
      const { user } = renderTable()
      const nameHeader = () => screen.getByRole('columnheader', { name: /Name/ })
      expect(nameHeader().getAttribute('aria-sort')).toBe('none')
      await user.click(screen.getByRole('button', { name: /^Name/ }))
      expect(nameHeader().getAttribute('aria-sort')).toBe('ascending')
      expect(shownModelNames()).toEqual(['ae.safetensors', 'bokeh.safetensors', 'detail.safetensors'])
      await user.click(screen.getByRole('button', { name: /^Name/ }))
      expect(nameHeader().getAttribute('aria-sort')).toBe('descending')
      expect(shownModelNames()).toEqual(['ae.safetensors', 'detail.safetensors', 'bokeh.safetensors'])
      await user.click(screen.getByRole('button', { name: /^Name/ }))
      expect(nameHeader().getAttribute('aria-sort')).toBe('none')
      expect(shownModelNames()).toEqual(['ae.safetensors', 'detail.safetensors', 'bokeh.safetensors'])
    })

    it('sorts by size within each group', async () => {
      const { user } = renderTable()
      await user.click(screen.getByRole('button', { name: /^Size/ }))
      expect(shownModelNames()).toEqual(['ae.safetensors', 'bokeh.safetensors', 'detail.safetensors'])
      expect(screen.getByRole('columnheader', { name: /Size/ }).getAttribute('aria-sort')).toBe('ascending')
    })

    it('sorts by status, what needs attention first, and re-sorts when a status changes', async () => {
      const { user, store } = renderTable([vae, lora, lora2], {
        records: [modelRecord(lora2, { status: 'failed' })],
        local: { [lora.id]: localState('installed') },
      })
      await user.click(screen.getByRole('button', { name: /^Status/ }))
      expect(shownModelNames()).toEqual(['ae.safetensors', 'bokeh.safetensors', 'detail.safetensors'])
      act(() =>
        store.getState().applyChanged({ records: [modelRecord(lora, { status: 'progress' })], removed: [] }),
      )
      expect(shownModelNames()).toEqual(['ae.safetensors', 'detail.safetensors', 'bokeh.safetensors'])
    })
  })

  describe('filters', () => {
    it('shows only the matching rows and says how many of a group are shown', () => {
      const { store } = renderTable()
      act(() => store.getState().setFilterText('downloads', 'bokeh'))
      expect(shownModelNames()).toEqual(['bokeh.safetensors'])
      expect(screen.queryByRole('button', { name: 'vae' })).toBeNull()
      expect(screen.getByText(/1 shown/)).toBeTruthy()
    })

    it('says when nothing matches, and Clear filter shows everything again', async () => {
      const { user, store } = renderTable()
      act(() => {
        store.getState().setFilterText('downloads', 'nothing like this')
        store.getState().setStatusFilter('downloads', 'failed')
      })
      expect(screen.getByText('No models match the filter.')).toBeTruthy()
      await user.click(screen.getByRole('button', { name: 'Clear filter' }))
      expect(store.getState().views.downloads).toMatchObject({ filterText: '', statusFilter: 'all' })
      expect(shownModelNames()).toHaveLength(3)
    })

    it('says there is nothing here for a config without models', () => {
      renderTable([])
      expect(screen.getByText('No models here.')).toBeTruthy()
      expect((screen.getByRole('checkbox', { name: 'Select all shown' }) as HTMLInputElement).disabled).toBe(
        true,
      )
    })
  })

  describe('keyboard', () => {
    it('moves between rows with the arrows, selects with Space and opens details with Enter', async () => {
      const { user, store } = renderTable()
      rowOf('ae.safetensors').focus()
      await user.keyboard('{ArrowDown}')
      // The loras header sits between the two groups' rows.
      await waitForFocus(() => screen.getByRole('button', { name: 'loras' }).closest('[role="row"]')!)
      await user.keyboard('{ArrowDown}')
      await waitForFocus(() => rowOf('detail.safetensors'))
      await user.keyboard(' ')
      expect([...store.getState().views.downloads.selected]).toEqual([lora.id])
      await user.keyboard('{Enter}')
      expect(store.getState().drawer).toEqual({ view: 'downloads', id: lora.id })
    })

    it('folds a group with Enter on its header', async () => {
      const { user } = renderTable()
      const header = screen.getByRole('button', { name: 'loras' }).closest<HTMLElement>('[role="row"]')!
      header.focus()
      await user.keyboard('{Enter}')
      expect(shownModelNames()).toEqual(['ae.safetensors'])
      expect(screen.getByRole('button', { name: 'loras' }).getAttribute('aria-expanded')).toBe('false')
      await user.keyboard('{ArrowRight}')
      expect(shownModelNames()).toHaveLength(3)
    })

    it('keeps one row in the Tab order', () => {
      renderTable()
      const tabbable = screen.getAllByRole('row').filter((r) => r.getAttribute('tabindex') === '0')
      expect(tabbable).toHaveLength(1)
    })
  })

  it('brings a model into view when a notification asks, unfolding its group and clearing the filter', async () => {
    const { store } = renderTable()
    act(() => {
      store.getState().toggleCollapsed('downloads', 'loras')
      store.getState().setFilterText('downloads', 'ae')
    })
    expect(shownModelNames()).toEqual(['ae.safetensors'])
    act(() => store.getState().requestFocus(lora2.id))
    await waitForFocus(() => rowOf('bokeh.safetensors'))
    expect(store.getState().views.downloads.filterText).toBe('')
    expect(store.getState().views.downloads.collapsed.has('loras')).toBe(false)
  })
})
