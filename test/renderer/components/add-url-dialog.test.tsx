// @vitest-environment jsdom
// "Add URL…" beside "Open workflow…": the dialog asks the service what the host says of a URL, shows it,
// and queues it; Enter looks up then downloads, Escape closes, a refusal is said in the dialog.
import { screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { SourceBar } from '../../../src/renderer/src/components/SourceBar'
import { createFakeApi } from '../support/fake-api'
import { renderWithApp } from '../support/render'

const URL_TEXT = 'https://civitai.com/api/download/models/777?token=abc'
const FOUND = {
  name: 'detail_tweaker.safetensors',
  size: 144_000_000,
  localPath: '/data/models/loras/detail_tweaker.safetensors',
  url: 'https://civitai.com/api/download/models/777?token=[REDACTED]',
}

function renderBar() {
  const fake = createFakeApi({
    lookUpUrl: () => FOUND,
    downloadUrl: () => ({
      ...FOUND,
      enqueued: {
        batchId: 'b',
        queued: [FOUND.localPath],
        alreadyQueued: [],
        alreadyComplete: [],
        linked: [],
      },
    }),
  })
  return renderWithApp(<SourceBar />, { fake })
}

const dialog = () => screen.getByRole('dialog', { name: 'Download a model from its URL' })

describe('Add URL', () => {
  it('Enter looks the URL up, shows name, size and where it lands; Enter again queues it and closes', async () => {
    const { user, fake } = renderBar()
    await user.click(screen.getByRole('button', { name: 'Add URL…' }))
    const url = within(dialog()).getByRole('textbox', { name: 'URL' })
    expect(document.activeElement).toBe(url)
    expect(
      (within(dialog()).getByRole('combobox', { name: 'Folder under the models root' }) as HTMLInputElement)
        .value,
    ).toBe('checkpoints')
    expect((within(dialog()).getByRole('button', { name: 'Download' }) as HTMLButtonElement).disabled).toBe(
      true,
    )
    const folder = within(dialog()).getByRole('combobox', { name: 'Folder under the models root' })
    await user.clear(folder)
    await user.type(folder, 'loras')
    await user.click(url)
    await user.type(url, `${URL_TEXT}{Enter}`)
    const facts = await within(dialog()).findByLabelText('What the host says')
    expect(facts.textContent).toContain('detail_tweaker.safetensors')
    expect(facts.textContent).toContain('144 MB')
    expect(facts.textContent).toContain('/data/models/loras/detail_tweaker.safetensors')
    expect(fake.requestsOf('lookUpUrl')).toEqual([{ url: URL_TEXT, folder: 'loras' }])
    expect(fake.requestsOf('downloadUrl')).toEqual([])

    await user.keyboard('{Enter}')
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(fake.requestsOf('downloadUrl')).toEqual([{ url: URL_TEXT, folder: 'loras' }])
  })

  it('an edit forgets the look-up: Download waits for a new one', async () => {
    const { user } = renderBar()
    await user.click(screen.getByRole('button', { name: 'Add URL…' }))
    await user.type(within(dialog()).getByRole('textbox', { name: 'URL' }), `${URL_TEXT}{Enter}`)
    await within(dialog()).findByLabelText('What the host says')
    await user.type(within(dialog()).getByRole('textbox', { name: 'URL' }), 'x')
    expect(within(dialog()).queryByLabelText('What the host says')).toBeNull()
    expect((within(dialog()).getByRole('button', { name: 'Download' }) as HTMLButtonElement).disabled).toBe(
      true,
    )
  })

  it('says in the dialog why the service refused, and Escape closes it', async () => {
    const { user, fake } = renderBar()
    fake.failWith('lookUpUrl', 'Only https URLs are downloaded; file:///etc/passwd uses file:', 'forbidden')
    await user.click(screen.getByRole('button', { name: 'Add URL…' }))
    await user.type(within(dialog()).getByRole('textbox', { name: 'URL' }), 'file:///etc/passwd{Enter}')
    expect((await within(dialog()).findByRole('alert')).textContent).toBe(
      'Only https URLs are downloaded; file:///etc/passwd uses file:',
    )
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.requestsOf('downloadUrl')).toEqual([])
  })

  it('asks for a URL before asking the service', async () => {
    const { user, fake } = renderBar()
    await user.click(screen.getByRole('button', { name: 'Add URL…' }))
    await user.click(within(dialog()).getByRole('button', { name: 'Look up' }))
    expect(within(dialog()).getByRole('alert').textContent).toMatch(/https:\/\/ address first/)
    expect(fake.requestsOf('lookUpUrl')).toEqual([])
  })
})
