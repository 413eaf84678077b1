// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { App } from '../../../src/renderer/src/App'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { connectBridge } from '../../../src/renderer/src/store/bridge'
import { ApiError } from '../../../src/shared/api-contract'
import type { OpenedWorkflow, ResolvedWorkflowModel } from '../../../src/shared/workflow'
import { createFakeApi, type FakeApi } from '../support/fake-api'
import { appInfo, modelInfo, modelRecord, serviceChange } from '../support/fixtures'
import { useLayout } from '../support/layout'
import { renderWithApp } from '../support/render'

useLayout()

const ROOT = '/data/models'
const SOURCE = 's3://models/mirror/'

function model(name: string, folder: string, rest: Partial<ResolvedWorkflowModel>): ResolvedWorkflowModel {
  return { name, folder, nodes: [{ id: '1', type: 'Loader' }], notes: [], state: 'not_found', ...rest }
}

const AE = model('ae.safetensors', 'vae', {
  state: 's3',
  size: 335_000_000,
  localPath: `${ROOT}/vae/ae.safetensors`,
  s3Uri: `${SOURCE}vae/ae.safetensors`,
  s3Match: 'folder',
})
const DETAIL = model('flux/detail.safetensors', 'loras', {
  state: 's3',
  size: 2_000,
  localPath: `${ROOT}/loras/flux/detail.safetensors`,
  s3Uri: `${SOURCE}loras/flux/detail.safetensors`,
  s3Match: 'folder',
  sha256: 'ab'.repeat(32),
})
const CLIP = model('clip_l.safetensors', 'text_encoders', {
  state: 'installed',
  size: 246_000_000,
  localPath: `${ROOT}/text_encoders/clip_l.safetensors`,
})
const T5 = model('t5xxl_fp16.safetensors', 'text_encoders', {
  state: 'url',
  url: 'https://huggingface.co/comfyanonymous/flux_text_encoders/resolve/main/t5xxl_fp16.safetensors',
  localPath: `${ROOT}/text_encoders/t5xxl_fp16.safetensors`,
})
const UPSCALER = model('4x-UltraSharp.pth', 'upscale_models', { localPath: `${ROOT}/upscale_models/4x.pth` })
const FANCY = model('adapters/fancy-v2.gguf', 'unknown', {
  notes: ['the node ApplyFancyAdapter is not a known loader: its folder is unknown'],
})

const OPENED: OpenedWorkflow = {
  name: 'flux-template.json',
  format: 'ui',
  container: 'json',
  s3Source: SOURCE,
  models: [AE, DETAIL, CLIP, T5, UPSCALER, FANCY],
  workflowId: 'wf-1',
}

let disconnect: (() => void) | null = null
afterEach(() => {
  disconnect?.()
  disconnect = null
})

function renderWindow(fake: FakeApi) {
  const store = createAppStore()
  disconnect = connectBridge(fake.api, store)
  return renderWithApp(<App />, { store, fake })
}

const rowOf = (name: string) => screen.getByRole('row', { name })
const stateOf = (name: string) =>
  rowOf(name).querySelector('[data-workflow-state]')?.getAttribute('data-workflow-state')
const checkbox = (name: string) => within(rowOf(name)).getByRole('checkbox') as HTMLInputElement
/** The workflow view's own alert (toasts and the connection have theirs). */
const workflowAlert = async () =>
  within(await screen.findByRole('region', { name: 'Workflow' })).findByRole('alert')
const pick = (user: ReturnType<typeof renderWindow>['user'], file: File) =>
  user.upload(screen.getByTestId('workflow-file-input'), file)

describe('the workflow view', () => {
  it('sends the picked file as base64 and shows each model with its folder, state, source and size', async () => {
    const fake = createFakeApi({ openWorkflow: () => OPENED })
    const { user } = renderWindow(fake)
    const text = '{"nodes": [], "models": []}'
    await pick(user, new File([text], 'flux-template.json', { type: 'application/json' }))
    await screen.findByRole('table', { name: 'Models in the workflow' })
    const [request] = fake.requestsOf('openWorkflow')
    expect(request!.name).toBe('flux-template.json')
    expect(atob(request!.data)).toBe(text)

    expect(screen.getByRole('region', { name: 'Workflow' }).textContent).toContain('flux-template.json')
    expect(screen.getByText('6 models · 1 installed · 2 in S3 · 1 at a URL only · 2 not found')).toBeTruthy()
    expect(stateOf('ae.safetensors')).toBe('from S3')
    expect(stateOf('clip_l.safetensors')).toBe('installed')
    expect(stateOf('t5xxl_fp16.safetensors')).toBe('from URL')
    expect(stateOf('4x-UltraSharp.pth')).toBe('not found')
    expect(stateOf('adapters/fancy-v2.gguf')).toBe('unknown folder')
    const ae = within(rowOf('ae.safetensors'))
    expect(ae.getByText('vae')).toBeTruthy()
    expect(ae.getByText('vae/ae.safetensors')).toBeTruthy() // the object under the source
    expect(ae.getByText('335 MB')).toBeTruthy()
    expect(within(rowOf('t5xxl_fp16.safetensors')).getByText(/^huggingface\.co\/comfyanonymous/)).toBeTruthy()
    expect(within(rowOf('clip_l.safetensors')).getByText('disk')).toBeTruthy()
    expect(within(rowOf('4x-UltraSharp.pth')).getByText('—', { selector: 'td.text-right' })).toBeTruthy()
    expect(screen.getByRole('region', { name: 'Notes' }).textContent).toContain('ApplyFancyAdapter')
    // The config table is behind it; closing brings it back.
    expect(screen.queryByRole('table', { name: 'Models in the config' })).toBeNull()
  })

  it('ticks the missing ones that can be fetched; Download missing names them to the service and the rows follow the queue', async () => {
    const fake = createFakeApi({ openWorkflow: () => OPENED })
    fake.handle('downloadWorkflow', () => ({
      enqueued: {
        batchId: 'b1',
        queued: [AE.localPath!, DETAIL.localPath!],
        alreadyQueued: [],
        alreadyComplete: [],
        linked: [],
      },
      notQueued: [
        {
          name: 'text_encoders/t5xxl_fp16.safetensors',
          reason: 'https://huggingface.co/… could not be looked up: Not found (404)',
        },
      ],
    }))
    const { user, store } = renderWindow(fake)
    await pick(user, new File(['{}'], 'flux-template.json'))
    await screen.findByRole('table', { name: 'Models in the workflow' })
    // S3 and URL rows alike: the service looks the URL's size up when it queues it.
    for (const name of ['ae.safetensors', 'flux/detail.safetensors', 't5xxl_fp16.safetensors'])
      expect(checkbox(name).checked).toBe(true)
    for (const name of ['clip_l.safetensors', '4x-UltraSharp.pth']) {
      expect(checkbox(name).checked).toBe(false)
      expect(checkbox(name).disabled).toBe(true)
    }
    await user.click(checkbox('ae.safetensors'))
    await user.click(checkbox('ae.safetensors'))
    await user.click(screen.getByRole('button', { name: 'Download missing (3)' }))

    // Rows by name, never URLs: the window holds only masked ones, the service its own copy.
    expect(fake.requestsOf('downloadWorkflow')).toEqual([
      {
        workflowId: 'wf-1',
        names: [
          'vae/ae.safetensors',
          'loras/flux/detail.safetensors',
          'text_encoders/t5xxl_fp16.safetensors',
        ],
      },
    ])
    expect(fake.requestsOf('enqueue')).toEqual([])
    expect(
      await screen.findByText(
        'Not queued: text_encoders/t5xxl_fp16.safetensors: https://huggingface.co/… could not be looked up: Not found (404)',
      ),
    ).toBeTruthy()
    expect(await screen.findByText('Queued 2 models')).toBeTruthy()
    expect((screen.getByRole('button', { name: 'Download missing (0)' }) as HTMLButtonElement).disabled).toBe(
      true,
    )

    const info = modelInfo({
      group: 'vae',
      modelName: 'ae.safetensors',
      localPath: AE.localPath!,
      id: AE.localPath!,
    })
    act(() =>
      fake.emit('onChanged', serviceChange([modelRecord(info, { status: 'queued' })], { revision: 1 })),
    )
    await waitFor(() => expect(stateOf('ae.safetensors')).toBe('queued'))
    const running = modelRecord(info, { status: 'progress', downloaded: 134_000_000, totalSize: 335_000_000 })
    act(() => fake.emit('onChanged', serviceChange([running], { revision: 2 })))
    await waitFor(() => expect(stateOf('ae.safetensors')).toBe('downloading'))
    expect(within(rowOf('ae.safetensors')).getByText('40%')).toBeTruthy()
    act(() => fake.emit('onChanged', serviceChange([{ ...running, status: 'completed' }], { revision: 3 })))
    await waitFor(() => expect(stateOf('ae.safetensors')).toBe('installed'))
    // Held by the queue or done: not offered again; the other one is still free to tick.
    expect(checkbox('ae.safetensors').disabled).toBe(true)
    expect(checkbox('flux/detail.safetensors').disabled).toBe(false)
    expect(store.getState().workflow.status).toBe('open')
  })

  it('says what is wrong with a file the service refused, in the window', async () => {
    const fake = createFakeApi()
    fake.failWith(
      'openWorkflow',
      'plain.png: a PNG without a ComfyUI workflow: it has no "workflow" or "prompt" text chunk',
      'bad_request',
    )
    const { user } = renderWindow(fake)
    await pick(user, new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'plain.png', { type: 'image/png' }))
    const alert = await workflowAlert()
    expect(alert.textContent).toContain('The workflow was not opened.')
    expect(alert.textContent).toContain('plain.png: a PNG without a ComfyUI workflow')
    await user.click(screen.getByRole('button', { name: 'Close the workflow' }))
    expect(screen.queryByRole('region', { name: 'Workflow' })).toBeNull()
  })

  it('refuses a file over 64 MiB before sending a byte of it', async () => {
    const fake = createFakeApi({ openWorkflow: () => OPENED })
    const { user } = renderWindow(fake)
    await pick(user, new File([new Uint8Array(70 * 1024 * 1024)], 'huge.png', { type: 'image/png' }))
    const alert = await workflowAlert()
    expect(alert.textContent).toContain(
      'huge.png is too large (70.0 MiB): a workflow file may be at most 64 MiB',
    )
    expect(fake.requestsOf('openWorkflow')).toEqual([])
  })

  it('says why nothing came from S3: no source set, or a source that could not be listed', async () => {
    const fake = createFakeApi({ openWorkflow: () => ({ ...OPENED, s3Source: undefined as never }) })
    const { user } = renderWindow(fake)
    await pick(user, new File(['{}'], 'a.json'))
    expect((await screen.findByRole('note')).textContent).toContain('No S3 source is set')
    fake.handle('openWorkflow', () => ({
      ...OPENED,
      s3Problem: 'Access denied by the bucket models: check the AWS profile',
    }))
    await pick(user, new File(['{}'], 'a.json'))
    await waitFor(() =>
      expect(screen.getByRole('note').textContent).toContain('could not be listed: Access denied'),
    )
  })

  it('Save as config writes the models found in S3 through config:save, to a path typed in the browser', async () => {
    const fake = createFakeApi({ openWorkflow: () => OPENED })
    const { user } = renderWindow(fake)
    await pick(user, new File(['{}'], 'flux-template.json'))
    await user.click(await screen.findByRole('button', { name: 'Save as config…' }))
    const form = screen.getByRole('form', { name: "Save the workflow's models as a config" })
    const input = within(form).getByRole('textbox') as HTMLInputElement
    expect(input.value).toMatch(/\/flux-template\.models\.json$/)
    await user.clear(input)
    await user.type(input, `${ROOT}/flux.json`)
    await user.click(within(form).getByRole('button', { name: 'Save' }))
    const [request] = fake.requestsOf('saveConfig')
    expect(request).toMatchObject({ path: `${ROOT}/flux.json`, mode: 'new' })
    expect(request!.models.map((m) => m.entryId)).toEqual([
      'vae/ae.safetensors',
      'loras/flux/detail.safetensors',
    ])
    await waitFor(() => expect(screen.queryByRole('form')).toBeNull())
  })

  it('opens through the native dialog on the desktop, and Save as config asks the save dialog', async () => {
    const fake = createFakeApi({
      appInfo: () => appInfo({ shell: 'electron', capabilities: { dialogs: true } }),
      openWorkflowDialog: () => OPENED,
      saveConfigDialog: () => '/home/me/flux.json',
    })
    const { user } = renderWindow(fake)
    await waitFor(() => expect(screen.queryByTestId('workflow-file-input')).toBeNull())
    await user.click(screen.getByRole('button', { name: 'Open workflow…' }))
    await user.click(await screen.findByRole('button', { name: 'Save as config…' }))
    await waitFor(() => expect(fake.requestsOf('saveConfig')).toHaveLength(1))
    expect(fake.requestsOf('saveConfig')[0]!.path).toBe('/home/me/flux.json')
  })

  it('an ApiError from the dialog is shown like any refusal', async () => {
    const fake = createFakeApi({
      appInfo: () => appInfo({ capabilities: { dialogs: true } }),
      openWorkflowDialog: () => {
        throw new ApiError(
          'bad_request',
          '/home/me/x.json: not valid JSON at line 1, column 9 (the file looks cut short)',
        )
      },
    })
    const { user } = renderWindow(fake)
    await waitFor(() => expect(screen.queryByTestId('workflow-file-input')).toBeNull())
    await user.click(screen.getByRole('button', { name: 'Open workflow…' }))
    expect((await workflowAlert()).textContent).toContain('the file looks cut short')
  })
})
