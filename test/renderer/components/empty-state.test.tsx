// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ConnectionState, EmptyState } from '../../../src/renderer/src/components/EmptyState'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { createFakeApi } from '../support/fake-api'
import { loadedConfig, modelInfo } from '../support/fixtures'
import { renderWithApp } from '../support/render'

describe('EmptyState', () => {
  it('says no config is loaded and what one is', () => {
    renderWithApp(<EmptyState />)
    expect(screen.getByRole('heading', { name: 'No model config loaded' })).toBeTruthy()
    expect(screen.getByText(/Drop a \.json file anywhere in this window/)).toBeTruthy()
  })

  it('loads the sample config', async () => {
    const sample = modelInfo({ group: 'vae', modelName: 'ae.safetensors' })
    const fake = createFakeApi({
      openSampleConfig: () => ({ ok: true, config: loadedConfig([sample], { source: { kind: 'sample' } }) }),
    })
    const { user, store } = renderWithApp(<EmptyState />, { fake })
    await user.click(screen.getByRole('button', { name: 'Try the sample config' }))
    expect(fake.requestsOf('openSampleConfig')).toHaveLength(1)
    await waitFor(() => expect(store.getState().config?.source).toEqual({ kind: 'sample' }))
  })

  it('goes to Browse source', async () => {
    const { user, store } = renderWithApp(<EmptyState />)
    await user.click(screen.getByRole('button', { name: 'Browse an S3 source' }))
    expect(store.getState().screen).toBe('browse')
  })

  it('opens a config through the file input in a browser', async () => {
    const { user, fake } = renderWithApp(<EmptyState />)
    await user.upload(screen.getByLabelText('Model config file'), new File(['[]'], 'flat.json'))
    await waitFor(() =>
      expect(fake.requestsOf('loadConfigText')).toEqual([{ name: 'flat.json', text: '[]' }]),
    )
  })

  it('offers nothing to load while a config is loading', () => {
    const store = createAppStore()
    store.getState().setConfigLoading(true)
    renderWithApp(<EmptyState />, { store })
    expect(
      (screen.getByRole('button', { name: 'Try the sample config' }) as HTMLButtonElement).disabled,
    ).toBe(true)
    expect((screen.getByRole('button', { name: 'Open a config…' }) as HTMLButtonElement).disabled).toBe(true)
  })
})

describe('ConnectionState', () => {
  it('says it is connecting', () => {
    renderWithApp(<ConnectionState />)
    expect(screen.getByRole('status').textContent).toBe('Connecting to the download service…')
  })

  it('says the service did not answer, with its message, and tries again', async () => {
    const store = createAppStore()
    store
      .getState()
      .setConnection({ state: 'failed', message: 'The WebSocket closed: is modeldl serve running?' })
    const { user, fake } = renderWithApp(<ConnectionState />, { store })
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('The download service did not answer')
    expect(alert.textContent).toContain('The WebSocket closed: is modeldl serve running?')
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    expect(fake.requestsOf('appInfo')).toHaveLength(1)
    await waitFor(() => expect(store.getState().connection).toEqual({ state: 'ready' }))
  })
})
