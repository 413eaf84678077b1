// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { SourceBar } from '../../../src/renderer/src/components/SourceBar'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { appInfo, loadedConfig, modelInfo } from '../support/fixtures'
import { renderWithApp } from '../support/render'

const models = [
  modelInfo({ group: 'vae', modelName: 'ae.safetensors' }),
  modelInfo({ group: 'loras', modelName: 'detail.safetensors' }),
]

function renderBar(setup: (store: AppStore) => void = () => {}) {
  const store = createAppStore()
  setup(store)
  return renderWithApp(<SourceBar />, { store })
}

const bar = () => screen.getByRole('region', { name: 'Model config' })

describe('SourceBar', () => {
  it('says no config is loaded and offers to open one', () => {
    renderBar()
    expect(bar().textContent).toContain('none loaded')
    expect(screen.getByRole('button', { name: 'Open config…' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Check disk' })).toBeNull()
  })

  it('names the loaded file, its format and model count, with the full path on hover', () => {
    renderBar((s) =>
      s
        .getState()
        .applyConfig(loadedConfig(models, { sources: ['s3://models-bucket/models/', 's3://other/flux/'] })),
    )
    const name = within(bar()).getByText('comfy-models.json')
    expect(name.getAttribute('title')).toBe('/home/me/configs/comfy-models.json')
    expect(bar().textContent).toContain('nested · 2 models')
    const sources = within(screen.getByRole('list', { name: 'S3 sources' })).getAllByRole('listitem')
    expect(sources.map((li) => li.textContent)).toEqual(['s3://models-bucket/models/', 's3://other/flux/'])
  })

  it('names a dropped config and the sample config', () => {
    const { store } = renderBar((s) =>
      s
        .getState()
        .applyConfig(
          loadedConfig(models, { source: { kind: 'text', name: 'dropped.json' }, format: 'flat' }),
        ),
    )
    expect(bar().textContent).toContain('dropped.json')
    expect(bar().textContent).toContain('flat · 2 models')
    expect(screen.queryByRole('note', { name: 'About the example config' })).toBeNull()
    act(() => store.getState().applyConfig(loadedConfig(models, { source: { kind: 'sample' } })))
    expect(bar().textContent).toContain('Example config')
    // Said before anyone presses Download: its objects are not on the user's store.
    const note = screen.getByRole('note', { name: 'About the example config' })
    expect(note.textContent).toContain('Example — objects are not on your store.')
    expect(within(note).getByRole('button', { name: 'Open your config…' })).toBeTruthy()
  })

  it('says when a config is loading and does not start another meanwhile', () => {
    renderBar((s) => s.getState().setConfigLoading(true))
    expect(bar().textContent).toContain('Loading…')
    expect((screen.getByRole('button', { name: 'Open config…' }) as HTMLButtonElement).disabled).toBe(true)
  })

  it('in a browser, opens a picked file by sending its text to the service', async () => {
    const { user, fake } = renderBar()
    const file = new File(['{"vae":{}}'], 'picked.json', { type: 'application/json' })
    await user.upload(screen.getByLabelText('Model config file'), file)
    await waitFor(() =>
      expect(fake.requestsOf('loadConfigText')).toEqual([{ name: 'picked.json', text: '{"vae":{}}' }]),
    )
  })

  it('on the desktop, opens the native dialog', async () => {
    const { user, fake } = renderBar((s) =>
      s.getState().setAppInfo(appInfo({ capabilities: { dialogs: true } })),
    )
    expect(screen.queryByLabelText('Model config file')).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Open config…' }))
    expect(fake.requestsOf('openConfigDialog')).toHaveLength(1)
  })

  it('opens a recent config', async () => {
    const { user, fake } = renderBar((s) => s.getState().setRecent(['/configs/a.json', '/configs/b.json']))
    await user.selectOptions(screen.getByRole('combobox', { name: 'Recent configs' }), '/configs/b.json')
    expect(fake.requestsOf('openConfig')).toEqual([{ path: '/configs/b.json' }])
  })

  it('has no recent list before anything was opened', () => {
    renderBar()
    expect(screen.queryByRole('combobox', { name: 'Recent configs' })).toBeNull()
  })

  it('checks the disk again for every model of the config', async () => {
    const { user, fake } = renderBar((s) => s.getState().applyConfig(loadedConfig(models)))
    await user.click(screen.getByRole('button', { name: 'Check disk' }))
    expect(fake.requestsOf('statLocal')[0]?.models).toHaveLength(2)
  })

  describe('a rejected config', () => {
    const issues = [
      { entry: 'loras/detail', field: 'modelSize', message: 'must be a number of bytes' },
      { entry: '[3]', field: 'localPath', message: 'must sit inside the models root' },
    ]

    it('shows the message and every problem with its entry and field', () => {
      renderBar((s) => s.getState().setConfigProblem({ message: 'The config has 2 bad entries.', issues }))
      const alert = screen.getByRole('alert')
      // A count, not the service's message (which lists the same problems again).
      expect(alert.textContent).toContain(
        'The config was not loaded. 2 problems in its entries. Fix these and open it again:',
      )
      expect(alert.textContent).not.toContain('The config has 2 bad entries.')
      const problems = within(screen.getByRole('list', { name: 'Config problems' })).getAllByRole('listitem')
      expect(problems.map((li) => [...li.children].map((c) => c.textContent))).toEqual([
        ['loras/detail', 'modelSize', 'must be a number of bytes'],
        ['[3]', 'localPath', 'must sit inside the models root'],
      ])
    })

    it('shows the first 50 problems and says how many more there are', () => {
      const many = Array.from({ length: 53 }, (_, i) => ({
        entry: `[${i}]`,
        field: 'modelSize',
        message: 'bad',
      }))
      renderBar((s) => s.getState().setConfigProblem({ message: 'Bad.', issues: many }))
      expect(
        within(screen.getByRole('list', { name: 'Config problems' })).getAllByRole('listitem'),
      ).toHaveLength(50)
      expect(screen.getByRole('alert').textContent).toContain('…and 3 more problems of the same kind.')
    })

    it('shows a problem without entries, such as JSON that does not parse', () => {
      renderBar((s) =>
        s.getState().setConfigProblem({ message: 'Not JSON: unexpected token at line 3.', issues: [] }),
      )
      expect(screen.getByRole('alert').textContent).toContain('Not JSON: unexpected token at line 3.')
      expect(screen.queryByRole('list', { name: 'Config problems' })).toBeNull()
    })

    it('goes away when dismissed', async () => {
      const { user, store } = renderBar((s) => s.getState().setConfigProblem({ message: 'Bad.', issues }))
      await user.click(screen.getByRole('button', { name: 'Dismiss config problems' }))
      expect(screen.queryByRole('alert')).toBeNull()
      expect(store.getState().configProblem).toBeNull()
    })

    it('appears when a dropped file is rejected by the service', async () => {
      const { user, fake } = renderBar()
      fake.handle('loadConfigText', () => ({ ok: false, message: 'The config has 2 bad entries.', issues }))
      await user.upload(screen.getByLabelText('Model config file'), new File(['{}'], 'bad.json'))
      expect((await screen.findByRole('alert')).textContent).toContain('2 problems in its entries.')
      expect(
        within(screen.getByRole('list', { name: 'Config problems' })).getAllByRole('listitem'),
      ).toHaveLength(2)
    })
  })
})
