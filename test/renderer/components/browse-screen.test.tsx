// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { BrowseScreen } from '../../../src/renderer/src/components/BrowseScreen'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { connectBridge } from '../../../src/renderer/src/store/bridge'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import { appInfo, loadedConfig, localState, scannedModel, scanPage, settingsView } from '../support/fixtures'
import { useLayout } from '../support/layout'
import { rowOf, shownModelNames, statusIn } from '../support/queries'
import { renderWithApp } from '../support/render'

useLayout()

const URI = 's3://models-bucket/models/'
const installed = scannedModel({
  group: 'loras',
  modelName: 'detail.safetensors',
  local: localState('installed'),
})
const missing = scannedModel({ group: 'loras', modelName: 'glow.safetensors' })
const vae = scannedModel({ group: 'vae', modelName: 'ae.safetensors' })

let disconnect: (() => void) | null = null
afterEach(() => {
  disconnect?.()
  disconnect = null
})

/** The screen with the bridge connected, so scan pages arrive as events from the Api. */
function renderBrowse({ fake = createFakeApi(), dialogs = false, sourceUri = '' } = {}) {
  fake.handle('getSettings', () => settingsView({ sourceUri }))
  fake.handle('appInfo', () => appInfo({ capabilities: { dialogs } }))
  const store = createAppStore({ screen: 'browse' })
  disconnect = connectBridge(fake.api, store)
  return renderWithApp(<BrowseScreen />, { store, fake })
}

const uriBox = () => screen.getByLabelText('Source') as HTMLInputElement
const statusLine = () => screen.getByRole('status').textContent

async function startScan(r: {
  user: ReturnType<typeof renderBrowse>['user']
  fake: FakeApi
  store: AppStore
}) {
  await r.user.clear(uriBox())
  await r.user.type(uriBox(), URI)
  await r.user.click(screen.getByRole('button', { name: 'Scan' }))
  await waitFor(() => expect(r.store.getState().scan.status).toBe('running'))
}

describe('BrowseScreen', () => {
  it('explains what a scan does before the first one', () => {
    renderBrowse()
    expect(screen.getByText(/Enter an S3 prefix such as/)).toBeTruthy()
    expect(screen.queryByRole('table')).toBeNull()
  })

  it('starts from the saved source', async () => {
    renderBrowse({ sourceUri: URI })
    await waitFor(() => expect(uriBox().value).toBe(URI))
  })

  it('refuses a location that is not s3://bucket/prefix/, without asking the service', async () => {
    const { user, fake } = renderBrowse()
    await user.type(uriBox(), 'models-bucket/models')
    await user.click(screen.getByRole('button', { name: 'Scan' }))
    expect(screen.getByText('Enter an S3 location as s3://bucket/prefix/')).toBeTruthy()
    expect(uriBox().getAttribute('aria-invalid')).toBe('true')
    expect(fake.requestsOf('startScan')).toEqual([])
  })

  it('scans every object when asked to', async () => {
    const r = renderBrowse()
    const toggle = screen.getByRole('switch', { name: 'Show every object' })
    expect(toggle.getAttribute('aria-checked')).toBe('false')
    await r.user.click(toggle)
    expect(toggle.getAttribute('aria-checked')).toBe('true')
    await startScan(r)
    expect(r.fake.requestsOf('startScan')).toEqual([{ uri: URI, allTypes: true }])
  })

  it('says it is asking while the service has not answered', async () => {
    const fake = createFakeApi()
    fake.hold('startScan')
    const { user } = renderBrowse({ fake })
    await user.type(uriBox(), URI)
    await user.click(screen.getByRole('button', { name: 'Scan' }))
    expect(statusLine()).toBe(`Asking ${URI}…`)
    expect(screen.getByRole('button', { name: 'Cancel scan' })).toBeTruthy()
  })

  describe('while running', () => {
    it('counts objects, models and groups as pages arrive, with the rows and their local state', async () => {
      const r = renderBrowse()
      await startScan(r)
      expect(statusLine()).toBe(`Listing ${URI} · 0 objects listed · 0 models in 0 groups so far`)
      act(() => r.fake.emit('onScanProgress', scanPage({ models: [installed, missing], listed: 40 })))
      expect(statusLine()).toBe(`Listing ${URI} · 40 objects listed · 2 models in 1 group so far`)
      act(() => r.fake.emit('onScanProgress', scanPage({ models: [vae], listed: 95 })))
      expect(statusLine()).toBe(`Listing ${URI} · 95 objects listed · 3 models in 2 groups so far`)
      expect(screen.getByRole('table', { name: 'Models in the source' })).toBeTruthy()
      expect(shownModelNames()).toEqual(['detail.safetensors', 'glow.safetensors', 'ae.safetensors'])
      expect(statusIn(rowOf('detail.safetensors'))).toBe('installed')
      expect(statusIn(rowOf('glow.safetensors'))).toBe('missing')
    })

    it('cancels the scan', async () => {
      const r = renderBrowse()
      await startScan(r)
      act(() => r.fake.emit('onScanProgress', scanPage({ models: [installed], listed: 7 })))
      await r.user.click(screen.getByRole('button', { name: 'Cancel scan' }))
      expect(r.fake.requestsOf('cancelScan')).toEqual([{ scanId: 'scan-1' }])
      expect(statusLine()).toBe(
        'Stopped: 7 objects listed · 1 model in 1 group before the scan was cancelled',
      )
      expect(screen.getByRole('button', { name: 'Scan' })).toBeTruthy()
    })

    it('ignores the pages of another scan', async () => {
      const r = renderBrowse()
      await startScan(r)
      act(() => r.fake.emit('onScanProgress', scanPage({ scanId: 'scan-0', models: [vae], listed: 500 })))
      expect(statusLine()).toContain('0 objects listed')
    })
  })

  it('says what it found when done', async () => {
    const r = renderBrowse()
    await startScan(r)
    act(() =>
      r.fake.emit('onScanProgress', scanPage({ models: [installed, missing, vae], listed: 120, done: true })),
    )
    expect(statusLine()).toBe(`${URI}: 120 objects listed · 3 models in 2 groups`)
    expect(screen.getByRole('button', { name: 'Scan' })).toBeTruthy()
  })

  describe('a failed listing', () => {
    it('explains access denied and offers to load a config instead', async () => {
      const r = renderBrowse()
      await startScan(r)
      act(() =>
        r.fake.emit(
          'onScanProgress',
          scanPage({ done: true, error: { code: 'access_denied', message: 'Access Denied' } }),
        ),
      )
      const alert = screen.getByRole('alert')
      expect(alert.textContent).toContain(`Could not list ${URI}.`)
      expect(alert.textContent).toContain('these credentials lack the ListBucket permission')
      expect(alert.textContent).toContain('or load a model config file instead')
      expect(alert.textContent).toContain('(Access Denied)')
      await r.user.upload(screen.getByLabelText('Model config file'), new File(['{}'], 'models.json'))
      await waitFor(() =>
        expect(r.fake.requestsOf('loadConfigText')).toEqual([{ name: 'models.json', text: '{}' }]),
      )
    })

    it('opens Settings from the error', async () => {
      const r = renderBrowse()
      await startScan(r)
      act(() =>
        r.fake.emit(
          'onScanProgress',
          scanPage({ done: true, error: { code: 'not_found', message: 'NoSuchBucket' } }),
        ),
      )
      expect(screen.getByRole('alert').textContent).toContain(
        'There is no such bucket or location: NoSuchBucket',
      )
      await r.user.click(within(screen.getByRole('alert')).getByRole('button', { name: 'Open Settings' }))
      expect(r.store.getState().screen).toBe('settings')
    })

    it('explains missing credentials', async () => {
      const r = renderBrowse()
      await startScan(r)
      act(() =>
        r.fake.emit(
          'onScanProgress',
          scanPage({
            done: true,
            error: { code: 'credentials_missing', message: 'No AWS credentials were found.' },
          }),
        ),
      )
      expect(screen.getByRole('alert').textContent).toContain(
        'No valid credentials: No AWS credentials were found. Set a profile or keys in Settings',
      )
    })

    it('shows a start the service refused', async () => {
      const fake = createFakeApi()
      fake.failWith('startScan', 'The bucket name is not valid', 'bad_request')
      const { user } = renderBrowse({ fake })
      await user.type(uriBox(), 's3://Bad_Bucket/')
      await user.click(screen.getByRole('button', { name: 'Scan' }))
      expect((await screen.findByRole('alert')).textContent).toContain('The bucket name is not valid')
    })
  })

  describe('with results', () => {
    async function scanned(options: Parameters<typeof renderBrowse>[0] = {}) {
      const r = renderBrowse(options)
      await startScan(r)
      act(() =>
        r.fake.emit('onScanProgress', scanPage({ models: [installed, missing, vae], listed: 3, done: true })),
      )
      return r
    }

    it('selects every missing model and downloads the selection', async () => {
      const r = await scanned()
      await r.user.click(screen.getByRole('button', { name: 'Select all missing' }))
      expect([...r.store.getState().views.browse.selected].sort()).toEqual([missing.id, vae.id].sort())
      await r.user.click(screen.getByRole('button', { name: /^Download selected/ }))
      expect(r.fake.requestsOf('enqueue')[0]?.entries.map((e) => e.modelName)).toEqual([
        'glow.safetensors',
        'ae.safetensors',
      ])
    })

    it('saves all listed models as a new config at a path typed in a browser', async () => {
      const r = await scanned()
      await r.user.click(screen.getByRole('button', { name: 'Save as config' }))
      const form = screen.getByRole('form', { name: 'Save as config' })
      expect(form.textContent).toContain('Save all 3 listed models to')
      const input = within(form).getByRole('textbox')
      // It starts in the models root, where the service saves configs.
      expect((input as HTMLInputElement).value).toBe('/workspace/ComfyUI/models/models.json')
      await r.user.clear(input)
      await r.user.type(input, '/workspace/configs/new.json')
      await r.user.click(within(form).getByRole('button', { name: 'Save' }))
      const [request] = r.fake.requestsOf('saveConfig')
      expect(request?.path).toBe('/workspace/configs/new.json')
      expect(request?.mode).toBe('new')
      expect(request?.models.map((m) => m.modelName)).toEqual([
        'detail.safetensors',
        'glow.safetensors',
        'ae.safetensors',
      ])
      await waitFor(() => expect(screen.queryByRole('form', { name: 'Save as config' })).toBeNull())
    })

    it('refuses a relative path for the config', async () => {
      const r = await scanned()
      await r.user.click(screen.getByRole('button', { name: 'Save as config' }))
      const form = screen.getByRole('form', { name: 'Save as config' })
      await r.user.clear(within(form).getByRole('textbox'))
      await r.user.type(within(form).getByRole('textbox'), 'configs/new.json')
      await r.user.click(within(form).getByRole('button', { name: 'Save' }))
      expect(form.textContent).toContain(
        'Config path: must be an absolute path on the machine that runs the service',
      )
      expect(r.fake.requestsOf('saveConfig')).toEqual([])
    })

    it('adds the selected models to the loaded config file, offered as the path', async () => {
      const r = await scanned()
      act(() =>
        r.store
          .getState()
          .applyConfig(loadedConfig([], { source: { kind: 'file', path: '/cfg/models.json' } })),
      )
      await r.user.click(screen.getByRole('checkbox', { name: 'Select glow.safetensors' }))
      await r.user.click(screen.getByRole('button', { name: 'Add to config' }))
      const form = screen.getByRole('form', { name: 'Add to config' })
      expect(form.textContent).toContain('Add 1 selected model to')
      expect((within(form).getByRole('textbox') as HTMLInputElement).value).toBe('/cfg/models.json')
      await r.user.click(within(form).getByRole('button', { name: 'Add' }))
      const [request] = r.fake.requestsOf('saveConfig')
      expect(request).toMatchObject({ path: '/cfg/models.json', mode: 'merge' })
      expect(request?.models.map((m) => m.modelName)).toEqual(['glow.safetensors'])
    })

    it('uses the native save dialog on the desktop', async () => {
      const fake = createFakeApi({ saveConfigDialog: () => '/chosen/models.json' })
      const r = await scanned({ fake, dialogs: true })
      await r.user.click(screen.getByRole('button', { name: 'Save as config' }))
      await waitFor(() => expect(fake.requestsOf('saveConfig')).toHaveLength(1))
      expect(fake.requestsOf('saveConfig')[0]).toMatchObject({ path: '/chosen/models.json', mode: 'new' })
      expect(screen.queryByRole('form', { name: 'Save as config' })).toBeNull()
    })

    it('saves nothing when the desktop dialog is closed', async () => {
      const fake = createFakeApi({ saveConfigDialog: () => null })
      const r = await scanned({ fake, dialogs: true })
      await r.user.click(screen.getByRole('button', { name: 'Save as config' }))
      await waitFor(() => expect(fake.requestsOf('saveConfigDialog')).toHaveLength(1))
      expect(fake.requestsOf('saveConfig')).toEqual([])
    })
  })
})
