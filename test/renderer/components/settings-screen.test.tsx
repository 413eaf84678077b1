// @vitest-environment jsdom
import { act, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { SettingsScreen } from '../../../src/renderer/src/components/SettingsScreen'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import type { SettingsView } from '../../../src/shared/settings'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import { appInfo, settingsView } from '../support/fixtures'
import { renderWithApp } from '../support/render'

function renderSettings({
  view = settingsView(),
  fake = createFakeApi(),
  notifications = true,
}: { view?: SettingsView | null; fake?: FakeApi; notifications?: boolean } = {}) {
  const store = createAppStore()
  if (view) store.getState().setSettings(view)
  store.getState().setAppInfo(appInfo({ capabilities: { notifications } }))
  return renderWithApp(<SettingsScreen />, { store, fake })
}

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement
const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement
const form = () => screen.getByRole('form', { name: 'Settings' })

async function retype(user: ReturnType<typeof renderSettings>['user'], label: string, text: string) {
  await user.clear(field(label))
  if (text) await user.type(field(label), text)
}

describe('SettingsScreen', () => {
  it('says it is loading before the settings arrive', () => {
    renderSettings({ view: null })
    expect(screen.getByRole('status').textContent).toBe('Loading settings…')
  })

  it('shows the saved settings as text', () => {
    renderSettings({ view: settingsView({ bandwidthLimitBps: 12_500_000, concurrency: 3 }) })
    expect(field('Bucket').value).toBe('models-bucket')
    expect(field('Region').value).toBe('us-east-1')
    expect(field('Models root').value).toBe('/workspace/ComfyUI/models')
    expect(field('Downloads at once').value).toBe('3')
    expect(field('Bandwidth limit (MB/s)').value).toBe('12.5')
    expect(field('Model file types').value).toBe('.safetensors, .ckpt')
    expect(field('Path-style addressing').checked).toBe(false)
    expect(field('Notify when a model lands').checked).toBe(true)
  })

  describe('validation messages, as the user types', () => {
    it.each([
      ['Endpoint', '127.0.0.1:9000', 'Endpoint: must be a URL such as http://127.0.0.1:9000'],
      // A URL to zod ("minio:" read as a scheme), but not an address anyone meant.
      [
        'Endpoint',
        'minio:9000',
        'Endpoint: must start with http:// or https://, such as http://127.0.0.1:9000',
      ],
      ['Bucket', 'My_Bucket', 'Bucket: must be a bucket name (3-63 lower-case letters, digits, . or -)'],
      ['Source', 'https://bucket/models', 'Source: must be s3://bucket/prefix/'],
      ['Models root', 'models', 'Models root: must be an absolute path'],
      ['Downloads at once', 'two', 'Downloads at once: must be a whole number'],
      ['Downloads at once', '65', 'Downloads at once: must be at most 64'],
      ['Downloads at once', '0', 'Downloads at once: must be at least 1'],
      ['Part size (MiB)', '4', 'Part size (MiB): must be at least 5 MiB'],
      ['Bandwidth limit (MB/s)', 'fast', 'Bandwidth limit (MB/s): must be a number of MB/s (0 for no limit)'],
      ['Model file types', '.safetensors, gguf', 'Model file types: "gguf" must look like .safetensors'],
      ['Model file types', '', 'Model file types: list at least one extension, such as .safetensors'],
    ])('%s "%s" says "%s"', async (label, text, message) => {
      const { user } = renderSettings()
      await retype(user, label, text)
      expect(screen.getByText(message)).toBeTruthy()
      expect(field(label).getAttribute('aria-invalid')).toBe('true')
      // The message is the field's description for screen readers.
      const described = (field(label).getAttribute('aria-describedby') ?? '').split(' ')
      expect(described.map((id) => document.getElementById(id)?.textContent)).toContain(message)
    })

    it('clears a message once the value is fixed', async () => {
      const { user } = renderSettings()
      await retype(user, 'Endpoint', 'minio')
      expect(screen.getByText(/^Endpoint: must be a URL/)).toBeTruthy()
      await retype(user, 'Endpoint', 'http://127.0.0.1:9000')
      expect(screen.queryByText(/^Endpoint: must be a URL/)).toBeNull()
      expect(field('Endpoint').getAttribute('aria-invalid')).toBe('false')
    })

    it('does not scold fields the user has not touched', () => {
      renderSettings({ view: settingsView({ modelsRoot: '' }) })
      expect(screen.queryByText(/Models root:/)).toBeNull()
    })
  })

  describe('saving', () => {
    it('cannot save before something changed', () => {
      renderSettings()
      expect(button('Save settings').disabled).toBe(true)
      expect(button('Revert').disabled).toBe(true)
    })

    it('sends only what changed, with MB/s as bytes per second, and says it saved', async () => {
      const fake = createFakeApi({
        updateSettings: () => settingsView({ concurrency: 4, bandwidthLimitBps: 12_500_000 }),
      })
      const { user, store } = renderSettings({ fake })
      await retype(user, 'Downloads at once', '4')
      await retype(user, 'Bandwidth limit (MB/s)', '12.5')
      await user.click(button('Save settings'))
      expect(fake.requestsOf('updateSettings')).toEqual([{ concurrency: 4, bandwidthLimitBps: 12_500_000 }])
      expect(await screen.findByText('Saved.')).toBeTruthy()
      expect(store.getState().settings?.settings.concurrency).toBe(4)
      expect(button('Save settings').disabled).toBe(true)
    })

    it('sends S3 changes inside s3 and trims what was typed', async () => {
      const { user, fake } = renderSettings()
      await retype(user, 'Endpoint', ' http://127.0.0.1:9000 ')
      await user.click(field('Path-style addressing'))
      await user.click(button('Save settings'))
      expect(fake.requestsOf('updateSettings')).toEqual([
        { s3: { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true } },
      ])
    })

    it('saves nothing while a field is wrong, and says how many need fixing', async () => {
      const { user, fake } = renderSettings()
      await retype(user, 'Bucket', 'B')
      await retype(user, 'Downloads at once', 'x')
      await user.click(button('Save settings'))
      expect(screen.getByText('2 fields need fixing before saving.')).toBeTruthy()
      expect(fake.requestsOf('updateSettings')).toEqual([])
    })

    it('says One field when one is wrong', async () => {
      const { user } = renderSettings()
      await retype(user, 'Models root', 'relative')
      await user.click(button('Save settings'))
      expect(screen.getByText('One field needs fixing before saving.')).toBeTruthy()
    })

    it('shows the service’s refusal above the buttons', async () => {
      const fake = createFakeApi()
      fake.failWith('updateSettings', 'modelsRoot: /mnt/x does not exist: create it first', 'bad_request')
      const { user } = renderSettings({ fake })
      await retype(user, 'Models root', '/mnt/x')
      await user.click(button('Save settings'))
      expect((await screen.findByRole('alert')).textContent).toBe(
        'Not saved: modelsRoot: /mnt/x does not exist: create it first',
      )
    })

    it('says Saving… while the service works', async () => {
      const fake = createFakeApi()
      fake.hold('updateSettings')
      const { user } = renderSettings({ fake })
      await retype(user, 'Region', 'eu-west-1')
      await user.click(button('Save settings'))
      expect(button('Saving…').disabled).toBe(true)
      await act(async () =>
        fake.held('updateSettings').resolve(settingsView({ s3: { region: 'eu-west-1' } })),
      )
      expect(button('Save settings')).toBeTruthy()
    })

    it('reverts the draft to the saved settings', async () => {
      const { user } = renderSettings()
      await retype(user, 'Bucket', 'Nope!')
      await user.click(button('Revert'))
      expect(field('Bucket').value).toBe('models-bucket')
      expect(screen.queryByText(/^Bucket:/)).toBeNull()
    })

    it('takes settings changed elsewhere into a form nobody is editing', () => {
      const { store } = renderSettings()
      expect(field('Downloads at once').value).toBe('2')
      act(() => store.getState().setSettings(settingsView({ concurrency: 8, bandwidthLimitBps: 5_000_000 })))
      expect(field('Downloads at once').value).toBe('8')
      expect(field('Bandwidth limit (MB/s)').value).toBe('5')
      // Nothing to save: Save would otherwise put the old values back.
      expect(button('Save settings').disabled).toBe(true)
    })

    it('keeps what the user is typing when the settings change elsewhere', async () => {
      const { user, store } = renderSettings()
      await retype(user, 'Region', 'eu-west-1')
      act(() => store.getState().setSettings(settingsView({ concurrency: 8 })))
      expect(field('Region').value).toBe('eu-west-1')
      expect(field('Downloads at once').value).toBe('2')
    })
  })

  describe('test connection', () => {
    it('tests the settings as typed, unsaved, and says it works', async () => {
      const { user, fake } = renderSettings()
      await retype(user, 'Bucket', 'other-bucket')
      await user.click(button('Test connection'))
      expect(fake.requestsOf('testConnection')).toEqual([
        {
          draft: {
            s3: {
              endpoint: '',
              region: 'us-east-1',
              bucket: 'other-bucket',
              profile: '',
              forcePathStyle: false,
              credentials: 'chain',
            },
            sourceUri: '',
          },
        },
      ])
      expect((await screen.findByRole('status')).textContent).toBe(
        'Connection works (12 ms): Listed the bucket',
      )
    })

    it('says what failed and what to do', async () => {
      const fake = createFakeApi({
        testConnection: () => ({
          ok: false,
          message: 'Access denied by the bucket: check the AWS profile',
          elapsedMs: 80,
        }),
      })
      const { user } = renderSettings({ fake })
      await user.click(button('Test connection'))
      expect((await screen.findByRole('status')).textContent).toBe(
        'Connection failed (80 ms): Access denied by the bucket: check the AWS profile',
      )
    })

    it('says the service’s own message when the test could not run', async () => {
      const fake = createFakeApi()
      fake.failWith('testConnection', 'The service is not running')
      const { user } = renderSettings({ fake })
      await user.click(button('Test connection'))
      expect((await screen.findByRole('status')).textContent).toBe(
        'Connection failed: The service is not running',
      )
    })

    it('says Testing… meanwhile', async () => {
      const fake = createFakeApi()
      fake.hold('testConnection')
      const { user } = renderSettings({ fake })
      await user.click(button('Test connection'))
      expect(button('Testing…').disabled).toBe(true)
      await act(async () => fake.held('testConnection').resolve({ ok: true, message: 'ok', elapsedMs: 1 }))
      expect(button('Test connection').disabled).toBe(false)
    })

    it('cannot test an endpoint or bucket that is not valid', async () => {
      const { user } = renderSettings()
      await retype(user, 'Endpoint', 'nope')
      expect(button('Test connection').disabled).toBe(true)
    })
  })

  describe('credentials', () => {
    const keysRadio = () =>
      screen.getByRole('radio', { name: 'Access keys stored encrypted by this app' }) as HTMLInputElement
    const chainRadio = () =>
      screen.getByRole('radio', {
        name: 'AWS credential chain (environment, profiles, SSO)',
      }) as HTMLInputElement

    it('says why keys cannot be stored here and does not offer them', () => {
      renderSettings({
        view: settingsView(
          {},
          { available: false, reason: 'No OS keychain is available (install gnome-keyring).' },
        ),
      })
      expect(
        screen.getByText('Keys cannot be stored here. No OS keychain is available (install gnome-keyring).'),
      ).toBeTruthy()
      expect(keysRadio().disabled).toBe(true)
      expect(chainRadio().checked).toBe(true)
    })

    it('says keys cannot be stored, and why, when the saved settings still use keys', async () => {
      const { user } = renderSettings({
        view: settingsView(
          { s3: { credentials: 'keys', accessKeyHint: 'AKIA' } },
          { available: false, reason: 'no keychain' },
        ),
      })
      await retype(user, 'Region', 'eu-west-1')
      await user.click(button('Save settings'))
      expect(screen.getByText('Credentials: keys cannot be stored here: no keychain')).toBeTruthy()
    })

    it('asks for both keys when the user switches to stored keys', async () => {
      const { user, fake } = renderSettings()
      await user.click(keysRadio())
      expect(field('Access key id')).toBeTruthy()
      await user.click(button('Save settings'))
      expect(
        screen.getByText(
          'Access key id: enter an access key id and secret to store, or use the AWS credential chain',
        ),
      ).toBeTruthy()
      await user.type(field('Access key id'), 'AKIAEXAMPLE')
      expect(
        screen.getByText('Secret access key: enter the secret access key that goes with the key id'),
      ).toBeTruthy()
      await user.type(field('Secret access key'), 's3cr3t')
      await user.click(button('Save settings'))
      expect(fake.requestsOf('updateSettings')).toEqual([
        { s3: { credentials: 'keys', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3cr3t' } },
      ])
    })

    it('shows only the stored key’s first characters and forgets the stored keys', async () => {
      const { user, fake } = renderSettings({
        view: settingsView({ s3: { credentials: 'keys', accessKeyHint: 'AKIA' } }),
      })
      expect(screen.getByText('Stored: AKIA… Type new keys to replace them.')).toBeTruthy()
      expect(field('Access key id').value).toBe('')
      expect(field('Secret access key').type).toBe('password')
      await user.click(button('Forget stored keys'))
      expect(fake.requestsOf('updateSettings')).toEqual([{ s3: { clearKeys: true } }])
      expect(await screen.findByText('Stored keys forgotten.')).toBeTruthy()
    })
  })

  it('explains that only the desktop app notifies, and turns the switch off there', () => {
    renderSettings({ notifications: false })
    expect(field('Notify when a model lands').disabled).toBe(true)
    expect(screen.getByText('Only the desktop app can show system notifications.')).toBeTruthy()
  })

  it('submits with Enter in a field', async () => {
    const { user, fake } = renderSettings()
    await retype(user, 'AWS profile', 'gpu-pod')
    await user.keyboard('{Enter}')
    await waitFor(() => expect(fake.requestsOf('updateSettings')).toEqual([{ s3: { profile: 'gpu-pod' } }]))
    expect(form()).toBeTruthy()
  })
})
