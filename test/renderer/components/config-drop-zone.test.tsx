// @vitest-environment jsdom
import { act, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ConfigDropZone } from '../../../src/renderer/src/components/ConfigDropZone'
import { loadedConfig, modelInfo } from '../support/fixtures'
import { createFakeApi } from '../support/fake-api'
import { renderWithApp } from '../support/render'

const OVERLAY = 'Drop a model config (.json) to load it'

/** A drag event as the browser sends it over the window (jsdom has no DataTransfer). */
function drag(
  type: 'dragenter' | 'dragleave' | 'dragover' | 'drop',
  { files = [] as File[], types = ['Files'] } = {},
) {
  const event = new Event(type, { bubbles: true, cancelable: true })
  Object.defineProperty(event, 'dataTransfer', { value: { types, files } })
  act(() => void window.dispatchEvent(event))
  return event
}

describe('ConfigDropZone', () => {
  it('shows nothing until files are dragged over the window', () => {
    renderWithApp(<ConfigDropZone />)
    expect(screen.queryByText(OVERLAY)).toBeNull()
    drag('dragenter')
    expect(screen.getByText(OVERLAY)).toBeTruthy()
  })

  it('ignores a drag of something that is not a file, such as selected text', () => {
    renderWithApp(<ConfigDropZone />)
    drag('dragenter', { types: ['text/plain'] })
    expect(screen.queryByText(OVERLAY)).toBeNull()
  })

  it('lets the drop happen over the window (dragover is taken)', () => {
    renderWithApp(<ConfigDropZone />)
    expect(drag('dragover').defaultPrevented).toBe(true)
    expect(drag('dragover', { types: ['text/plain'] }).defaultPrevented).toBe(false)
  })

  it('hides the overlay only when the pointer left the window, not a child of it', () => {
    renderWithApp(<ConfigDropZone />)
    drag('dragenter')
    drag('dragenter') // crossing into a child
    drag('dragleave')
    expect(screen.getByText(OVERLAY)).toBeTruthy()
    drag('dragleave')
    expect(screen.queryByText(OVERLAY)).toBeNull()
  })

  it('loads a dropped file by sending its name and text to the service', async () => {
    const model = modelInfo()
    const fake = createFakeApi({ loadConfigText: () => ({ ok: true, config: loadedConfig([model]) }) })
    const { store } = renderWithApp(<ConfigDropZone />, { fake })
    drag('dragenter')
    const event = drag('drop', { files: [new File(['{"loras":{}}'], 'models.json')] })
    expect(event.defaultPrevented).toBe(true)
    expect(screen.queryByText(OVERLAY)).toBeNull()
    await waitFor(() =>
      expect(fake.requestsOf('loadConfigText')).toEqual([{ name: 'models.json', text: '{"loras":{}}' }]),
    )
    await waitFor(() => expect(store.getState().models.has(model.id)).toBe(true))
  })
})
