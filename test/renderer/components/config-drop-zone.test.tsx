// @vitest-environment jsdom
import { act, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ConfigDropZone } from '../../../src/renderer/src/components/ConfigDropZone'
import { loadedConfig, modelInfo } from '../support/fixtures'
import { createFakeApi } from '../support/fake-api'
import { renderWithApp } from '../support/render'

const OVERLAY = 'Drop a model config (.json) or a ComfyUI workflow (.json, .png) to open it'

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

  it.each([
    ['a PNG', 'render.png', 'image/png', '\x89PNG\r\n\x1a\n'],
    ['an editor-format JSON', 'flux.json', '', '{"last_node_id": 9, "nodes": [{"id": 1}]}'],
    ['an API-format JSON', 'api.json', '', '{"4": {"class_type": "CheckpointLoaderSimple"}}'],
  ])('opens %s dropped on the window as a workflow, not a config', async (_what, name, type, bytes) => {
    const fake = createFakeApi({
      openWorkflow: () => ({ name, format: 'ui', container: 'json', models: [], workflowId: 'wf-1' }),
    })
    const { store } = renderWithApp(<ConfigDropZone />, { fake })
    // Byte strings (every char below 256), so btoa gives the base64 of exactly these bytes.
    const data = Uint8Array.from(bytes, (c) => c.charCodeAt(0))
    drag('drop', { files: [new File([data], name, { type })] })
    await waitFor(() => expect(store.getState().workflow.status).toBe('open'))
    expect(fake.requestsOf('openWorkflow')).toEqual([{ name, data: btoa(bytes) }])
    expect(fake.requestsOf('loadConfigText')).toEqual([])
  })

  it('still loads a config that names its S3 paths, though it is JSON too', async () => {
    const fake = createFakeApi()
    const { store } = renderWithApp(<ConfigDropZone />, { fake })
    const text = '[{"directoryGroup": "loras", "nodes": [], "originalS3Path": "s3://b/k"}]'
    drag('drop', { files: [new File([text], 'models.json')] })
    await waitFor(() => expect(fake.requestsOf('loadConfigText')).toHaveLength(1))
    expect(fake.requestsOf('openWorkflow')).toEqual([])
    expect(store.getState().workflow.status).toBe('closed')
  })
})
