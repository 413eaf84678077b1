// @vitest-environment jsdom
import { act, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { GroupHeaderRow } from '../../../src/renderer/src/components/GroupHeaderRow'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { loadedConfig, localState, MB, modelInfo, modelRecord } from '../support/fixtures'
import { renderWithApp } from '../support/render'

const installed = modelInfo({ group: 'loras', modelName: 'a.safetensors', expectedSize: 1000 * MB })
const running = modelInfo({ group: 'loras', modelName: 'b.safetensors', expectedSize: 2000 * MB })
const failed = modelInfo({ group: 'loras', modelName: 'c.safetensors', expectedSize: 500 * MB })
const missing = modelInfo({ group: 'loras', modelName: 'd.safetensors', expectedSize: 500 * MB })
const elsewhere = modelInfo({ group: 'vae', modelName: 'e.safetensors' })

function renderHeader({ shown = 4, full = true } = {}) {
  const store = createAppStore()
  const models = full ? [installed, running, failed, missing, elsewhere] : [installed, elsewhere]
  store.getState().applyConfig(loadedConfig(models, { local: { [installed.id]: localState('installed') } }))
  if (full) {
    store
      .getState()
      .setRecords([
        modelRecord(running, { status: 'progress', downloaded: 500 * MB }),
        modelRecord(failed, { status: 'failed', errorCode: 'timeout' }),
      ])
  }
  return renderWithApp(
    <div role="table">
      <div role="rowgroup">
        <GroupHeaderRow view="downloads" group="loras" shown={shown} index={0} start={0} active />
      </div>
    </div>,
    { store },
  )
}

const summaryText = () => screen.getByRole('row').textContent ?? ''

describe('GroupHeaderRow', () => {
  it('names the group with its count, missing count and total size', () => {
    renderHeader()
    expect(screen.getByRole('heading', { name: 'loras' })).toBeTruthy()
    // The one downloading is not on disk yet: it counts as missing, and the header says it is queued.
    expect(summaryText()).toContain('· 4 models · 3 missing · 1 in queue · 4.0 GB')
  })

  it('never says "0 missing" while files are absent but queued', () => {
    const store = createAppStore()
    store.getState().applyConfig(loadedConfig([installed, running, failed, missing]))
    store
      .getState()
      .setRecords([
        modelRecord(installed, { status: 'queued' }),
        modelRecord(running, { status: 'progress', downloaded: 500 * MB }),
        modelRecord(failed, { status: 'paused' }),
        modelRecord(missing, { status: 'queued', retryAt: '2026-12-05T12:00:02.000Z', retryLimit: 3 }),
      ])
    renderWithApp(
      <div role="table">
        <GroupHeaderRow view="downloads" group="loras" shown={4} index={0} start={0} active />
      </div>,
      { store },
    )
    expect(summaryText()).toContain('· 4 models · 4 missing · 4 in queue ·')
    // Nothing to select: they are all in the queue already.
    expect(
      (screen.getByRole('button', { name: 'Select missing in loras' }) as HTMLButtonElement).disabled,
    ).toBe(true)
  })

  it('says how many are installed, in the queue and failed', () => {
    renderHeader()
    expect(summaryText()).toContain('1 installed')
    expect(summaryText()).toContain('· 1 in queue')
    expect(summaryText()).toContain('· 1 failed')
  })

  it('leaves out the queue and failed counts when they are zero', () => {
    renderHeader({ shown: 1, full: false })
    expect(summaryText()).toContain('1 installed')
    expect(summaryText()).not.toContain('in queue')
    expect(summaryText()).not.toContain('failed')
  })

  it('shows how much of the group is on disk as a named bar', () => {
    renderHeader()
    const bar = screen.getByRole('progressbar', { name: 'loras group progress' })
    // 1000 MB installed + 500 MB of the running one, of 4000 MB.
    expect(bar.getAttribute('aria-valuenow')).toBe('37')
    expect(summaryText()).toContain('37%')
  })

  it('says how many rows pass the filter when it hides some', () => {
    renderHeader({ shown: 2 })
    expect(summaryText()).toContain('· 2 shown')
  })

  it('does not mention shown rows when all are shown', () => {
    renderHeader({ shown: 4 })
    expect(summaryText()).not.toContain('shown')
  })

  it('selects the missing models of this group only (failed ones included)', async () => {
    const { user, store } = renderHeader()
    await user.click(screen.getByRole('button', { name: 'Select missing in loras' }))
    expect([...store.getState().views.downloads.selected].sort()).toEqual([failed.id, missing.id].sort())
  })

  it('cannot select missing models when none are missing', () => {
    renderHeader({ shown: 1, full: false })
    expect(
      (screen.getByRole('button', { name: 'Select missing in loras' }) as HTMLButtonElement).disabled,
    ).toBe(true)
  })

  it('folds and unfolds the group, saying which it is', async () => {
    const { user, store } = renderHeader()
    const toggle = screen.getByRole('button', { name: 'loras' })
    expect(toggle.getAttribute('aria-expanded')).toBe('true')
    await user.click(toggle)
    expect(store.getState().views.downloads.collapsed.has('loras')).toBe(true)
    expect(screen.getByRole('button', { name: 'loras' }).getAttribute('aria-expanded')).toBe('false')
  })

  it('follows the store as downloads finish', () => {
    const { store } = renderHeader()
    act(() =>
      store.getState().applyChanged({
        records: [modelRecord(running, { status: 'completed', downloaded: 2000 * MB })],
        removed: [],
      }),
    )
    expect(summaryText()).toContain('2 installed')
    expect(summaryText()).not.toContain('in queue')
  })
})
