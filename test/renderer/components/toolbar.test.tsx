// @vitest-environment jsdom
import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ModelTable } from '../../../src/renderer/src/components/ModelTable'
import { Toolbar } from '../../../src/renderer/src/components/Toolbar'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { DISPLAY_STATUSES } from '../../../src/renderer/src/store/status'
import { loadedConfig, localState, modelInfo, modelRecord } from '../support/fixtures'
import { useLayout } from '../support/layout'
import { shownModelNames } from '../support/queries'
import { renderWithApp } from '../support/render'

useLayout()

const flux = modelInfo({ group: 'checkpoints', modelName: 'flux1-dev.safetensors' })
const detail = modelInfo({ group: 'loras', modelName: 'detail.safetensors' })
const ae = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })

function renderToolbar({ withTable = true } = {}) {
  const store = createAppStore()
  store
    .getState()
    .applyConfig(loadedConfig([flux, detail, ae], { local: { [ae.id]: localState('installed') } }))
  store.getState().setRecords([modelRecord(flux, { status: 'progress' })])
  return renderWithApp(
    <>
      <Toolbar view="downloads">
        <button type="button">Download missing</button>
      </Toolbar>
      {withTable && <ModelTable view="downloads" label="Models in the config" />}
    </>,
    { store },
  )
}

const filterBox = () => screen.getByRole('searchbox', { name: 'Filter models' }) as HTMLInputElement
const statusSelect = () => screen.getByRole('combobox', { name: 'Status filter' }) as HTMLSelectElement
const downloadSelected = () => screen.getByRole('button', { name: /^Download selected/ }) as HTMLButtonElement

describe('Toolbar', () => {
  it('filters the table by name as the user types', async () => {
    const { user, store } = renderToolbar()
    await user.type(filterBox(), 'DETAIL')
    expect(store.getState().views.downloads.filterText).toBe('DETAIL')
    expect(shownModelNames()).toEqual(['detail.safetensors'])
  })

  it('filters by path', async () => {
    const { user } = renderToolbar()
    await user.type(filterBox(), '/vae/')
    expect(shownModelNames()).toEqual(['ae.safetensors'])
  })

  it('clears the filter with Escape', async () => {
    const { user } = renderToolbar()
    await user.type(filterBox(), 'flux')
    expect(shownModelNames()).toEqual(['flux1-dev.safetensors'])
    await user.keyboard('{Escape}')
    expect(filterBox().value).toBe('')
    expect(shownModelNames()).toHaveLength(3)
  })

  it('offers every status word to filter by', () => {
    renderToolbar({ withTable: false })
    const options = within(statusSelect())
      .getAllByRole('option')
      .map((o) => o.textContent)
    expect(options).toEqual(['Every status', ...DISPLAY_STATUSES.map((s) => `Only ${s}`)])
  })

  it('filters by status', async () => {
    const { user } = renderToolbar()
    await user.selectOptions(statusSelect(), 'Only installed')
    expect(shownModelNames()).toEqual(['ae.safetensors'])
    await user.selectOptions(statusSelect(), 'Only downloading')
    expect(shownModelNames()).toEqual(['flux1-dev.safetensors'])
    await user.selectOptions(statusSelect(), 'Only missing')
    expect(shownModelNames()).toEqual(['detail.safetensors'])
    await user.selectOptions(statusSelect(), 'Every status')
    expect(shownModelNames()).toHaveLength(3)
  })

  it('combines the text and status filters', async () => {
    const { user } = renderToolbar()
    await user.selectOptions(statusSelect(), 'Only missing')
    await user.type(filterBox(), 'ae')
    expect(screen.getByText('No models match the filter.')).toBeTruthy()
  })

  it('cannot download a selection before anything is selected', () => {
    renderToolbar({ withTable: false })
    expect(downloadSelected().disabled).toBe(true)
    expect(screen.queryByRole('button', { name: 'Clear selection' })).toBeNull()
  })

  it('downloads the selected models, says how many, and clears the selection', async () => {
    const { user, fake, store } = renderToolbar()
    await user.click(screen.getByRole('checkbox', { name: 'Select detail.safetensors' }))
    await user.click(screen.getByRole('checkbox', { name: 'Select ae.safetensors' }))
    expect(downloadSelected().textContent).toBe('Download selected(2)')
    await user.click(downloadSelected())
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.modelName)).toEqual([
      'detail.safetensors',
      'ae.safetensors',
    ])
    expect(store.getState().views.downloads.selected.size).toBe(0)
    expect(downloadSelected().disabled).toBe(true)
  })

  it('clears the selection', async () => {
    const { user, store } = renderToolbar()
    await user.click(screen.getByRole('checkbox', { name: 'Select detail.safetensors' }))
    await user.click(screen.getByRole('button', { name: 'Clear selection' }))
    expect(store.getState().views.downloads.selected.size).toBe(0)
    expect(
      (screen.getByRole('checkbox', { name: 'Select detail.safetensors' }) as HTMLInputElement).checked,
    ).toBe(false)
  })

  it('shows the buttons its view adds', () => {
    renderToolbar({ withTable: false })
    expect(screen.getByRole('button', { name: 'Download missing' })).toBeTruthy()
  })

  it('sorts through the table’s column headers', async () => {
    const { user } = renderToolbar()
    await user.click(screen.getByRole('button', { name: /^Status/ }))
    expect(screen.getByRole('columnheader', { name: /Status/ }).getAttribute('aria-sort')).toBe('ascending')
  })
})
