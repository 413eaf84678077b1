// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { DetailsDrawer } from '../../../src/renderer/src/components/DetailsDrawer'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import {
  loadedConfig,
  localState,
  MB,
  modelInfo,
  modelRecord,
  scannedModel,
  scanPage,
} from '../support/fixtures'
import { renderWithApp } from '../support/render'

const model = modelInfo({
  group: 'checkpoints',
  modelName: 'flux1-dev.safetensors',
  expectedSize: 2300 * MB,
  sha256: 'f'.repeat(64),
})

function renderDrawer(setup: (store: AppStore) => void) {
  const store = createAppStore()
  store
    .getState()
    .applyConfig(loadedConfig([model], { local: { [model.id]: localState('partial', 300 * MB) } }))
  setup(store)
  return renderWithApp(<DetailsDrawer />, { store })
}

/** The drawer's facts as label → text. */
function facts(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const dt of screen.getByRole('dialog').querySelectorAll('dt')) {
    out[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? ''
  }
  return out
}

describe('DetailsDrawer', () => {
  it('is not there while closed', () => {
    renderDrawer(() => {})
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('tells what the config and the disk say about a model never downloaded by the app', () => {
    renderDrawer((s) => s.getState().openDrawer('downloads', model.id))
    const dialog = screen.getByRole('dialog', { name: 'Details: flux1-dev.safetensors' })
    expect(within(dialog).getByRole('heading', { name: 'flux1-dev.safetensors' })).toBeTruthy()
    expect(facts()).toMatchObject({
      Status: 'missingresumable',
      Group: 'checkpoints',
      Size: '2.3 GB',
      'S3 object': model.s3Uri,
      'Local path': model.localPath,
      'On disk': 'partial download (.part), resumable (300 MB)',
      'SHA-256': 'f'.repeat(64),
      'Config entry': 'checkpoints/flux1-dev',
    })
    expect(dialog.textContent).toContain('Not downloaded by this app yet.')
  })

  it('shows the attempts, error code and message, and timings of a failed download', () => {
    renderDrawer((s) => {
      s.getState().setRecords([
        modelRecord(model, {
          status: 'failed',
          downloaded: 1000 * MB,
          attempts: 3,
          autoRetries: 2,
          errorCode: 'checksum_mismatch',
          errorMessage: 'The file did not match its SHA-256: it was deleted; retry to fetch it again',
          startedAt: '2025-01-02T03:05:00.000Z',
          finishedAt: '2025-01-02T03:09:00.000Z',
        }),
      ])
      s.getState().openDrawer('downloads', model.id)
    })
    expect(facts()).toMatchObject({
      Status: 'failed',
      Downloaded: '1.0 / 2.3 GB',
      Attempts: '3',
      'Automatic retries': '2',
      Error: 'checksum_mismatch: The file did not match its SHA-256: it was deleted; retry to fetch it again',
    })
    expect(Object.keys(facts())).toEqual(
      expect.arrayContaining(['Created', 'Started', 'Finished', 'Last update']),
    )
    expect(screen.queryByText('Not downloaded by this app yet.')).toBeNull()
  })

  it('wraps a long error instead of clipping it, and offers Retry that retries the model', async () => {
    const message = `Not found: s3://models-bucket/${'very_long_folder_name/'.repeat(6)}flux1-dev.safetensors`
    const { user, fake } = renderDrawer((s) => {
      s.getState().setRecords([
        modelRecord(model, { status: 'failed', errorCode: 'not_found', errorMessage: message }),
      ])
      s.getState().openDrawer('downloads', model.id)
    })
    const error = [...screen.getByRole('dialog').querySelectorAll('dt')].find(
      (d) => d.textContent === 'Error',
    )!
    const value = error.nextElementSibling as HTMLElement
    expect(value.textContent).toBe(`not_found: ${message}`)
    expect(value.className).toContain('[overflow-wrap:anywhere]')
    expect(screen.queryByRole('button', { name: 'Download' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    expect(fake.requestsOf('retry')).toEqual([{ ids: [model.id] }])
  })

  it('offers Download for a missing model, which queues it', async () => {
    const { user, fake } = renderDrawer((s) => s.getState().openDrawer('downloads', model.id))
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Download' }))
    expect(fake.requestsOf('enqueue')[0]?.entries.map((e) => e.localPath)).toEqual([model.localPath])
  })

  it('says when the next automatic attempt comes, and why the last one failed', () => {
    renderDrawer((s) => {
      s.getState().setRecords([
        modelRecord(model, {
          status: 'queued',
          autoRetries: 2,
          retryAt: new Date(Date.now() + 7_500).toISOString(),
          retryLimit: 3,
          errorCode: 'network',
          errorMessage: 'Network error during GET of it: socket hang up',
        }),
      ])
      s.getState().openDrawer('downloads', model.id)
    })
    expect(facts()).toMatchObject({
      Status: 'retrying',
      'Next attempt': expect.stringMatching(/^retrying in [78] s \(attempt 3 of 4\): Network error/),
      'Last error': 'network: Network error during GET of it: socket hang up',
    })
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull()
  })

  it('shows how a completed file was verified, and "size only" as a caution that says what to do', () => {
    const { store } = renderDrawer((s) => {
      s.getState().applyConfig(loadedConfig([model], { local: { [model.id]: localState('installed') } }))
      s.getState().setRecords([
        modelRecord(model, { status: 'completed', downloaded: model.expectedSize, verifiedBy: ['MD5 ETag'] }),
      ])
      s.getState().openDrawer('downloads', model.id)
    })
    expect(facts()['Verified by']).toBe('MD5 ETag')
    expect(screen.queryByRole('note', { name: 'Verified by size only' })).toBeNull()
    act(() =>
      store.getState().setRecords([
        modelRecord(model, {
          status: 'completed',
          downloaded: model.expectedSize,
          verifiedBy: ['size only'],
        }),
      ]),
    )
    const note = screen.getByRole('note', { name: 'Verified by size only' })
    expect(note.textContent).toMatch(
      /^size onlyOnly its length was checked: the file was found complete on disk, not downloaded\. Add a sha256 to its config entry/,
    )
    expect(facts()['Status']).toContain('size only')
  })

  it('shows the ETag, date and compressed copy of a scanned object', () => {
    const scanned = scannedModel({
      group: 'unet',
      modelName: 'wan.safetensors',
      etag: '"abc123"',
      hasCompressedSibling: true,
    })
    renderDrawer((s) => {
      s.getState().scanStarting('s3://models-bucket/models/', false)
      s.getState().scanStarted('scan-1')
      s.getState().applyScanProgress(scanPage({ models: [scanned] }))
      s.getState().openDrawer('browse', scanned.id)
    })
    expect(facts()).toMatchObject({
      ETag: '"abc123"',
      'Compressed copy': 'the store also has a .tar.zst',
      'On disk': 'nothing at this path',
    })
    expect(Object.keys(facts())).toContain('Last modified')
  })

  it('follows the record as the download runs', () => {
    const { store } = renderDrawer((s) => {
      s.getState().setRecords([modelRecord(model, { status: 'progress', downloaded: 0 })])
      s.getState().openDrawer('downloads', model.id)
    })
    expect(facts().Status).toBe('downloading')
    act(() =>
      store.getState().applyChanged({
        records: [modelRecord(model, { status: 'paused', downloaded: 50 * MB })],
        removed: [],
      }),
    )
    expect(facts().Status).toBe('paused')
    expect(facts().Downloaded).toBe('50.0 MB / 2.3 GB')
  })

  it('takes focus to its close button and closes with it or with Escape', async () => {
    const { user, store } = renderDrawer((s) => s.getState().openDrawer('downloads', model.id))
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close details' }))
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
    act(() => store.getState().openDrawer('downloads', model.id))
    await user.click(screen.getByRole('button', { name: 'Close details' }))
    expect(store.getState().drawer).toBeNull()
  })

  it('gives focus back to the button that opened it', async () => {
    const { user, store } = renderDrawer(() => {})
    const opener = document.createElement('button')
    opener.textContent = 'Details for the model'
    document.body.append(opener)
    opener.focus()
    act(() => store.getState().openDrawer('downloads', model.id))
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close details' }))
    await user.keyboard('{Escape}')
    expect(document.activeElement).toBe(opener)
    opener.remove()
  })

  it('copies the S3 path', async () => {
    const { user, store } = renderDrawer((s) => s.getState().openDrawer('downloads', model.id))
    await user.click(screen.getByRole('button', { name: 'Copy S3 path' }))
    await expect(navigator.clipboard.readText()).resolves.toBe(model.s3Uri)
    expect(store.getState().toasts.map((t) => t.message)).toEqual([`Copied ${model.s3Uri}`])
  })
})
