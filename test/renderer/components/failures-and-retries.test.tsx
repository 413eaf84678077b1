// @vitest-environment jsdom
// What a user reads about downloads that went wrong: the reason before the path (the whole message on
// hover), a download waiting for its automatic retry counting down, and worded row actions that work.
import { act, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ModelTable } from '../../../src/renderer/src/components/ModelTable'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import type { ModelRecord } from '../../../src/shared/service-contract'
import { loadedConfig, MB, modelInfo, modelRecord } from '../support/fixtures'
import { useLayout } from '../support/layout'
import { rowOf, statusIn } from '../support/queries'
import { renderWithApp } from '../support/render'

useLayout()

const lora = modelInfo({
  group: 'loras',
  modelName: 'pixel_art_style_extremely_long_name_v2.safetensors',
  expectedSize: 20 * MB,
})
const vae = modelInfo({ group: 'vae', modelName: 'sdxl_vae.safetensors', expectedSize: 300 * MB })
const NOW = Date.parse('2026-12-05T12:00:00.000Z')

function renderTable(records: ModelRecord[]) {
  const store = createAppStore()
  store.getState().applyConfig(loadedConfig([lora, vae]))
  store.getState().setRecords(records)
  return renderWithApp(<ModelTable view="downloads" label="Models in the config" />, { store })
}

const transferCell = (name: string) => within(rowOf(name)).getAllByRole('cell')[6]!

afterEach(() => vi.useRealTimers())

describe('a failed row', () => {
  it('shows the reason first and the object after, with the whole message on hover', () => {
    const message = `Not found: ${lora.s3Uri}`
    renderTable([modelRecord(lora, { status: 'failed', errorCode: 'not_found', errorMessage: message })])
    const cell = transferCell(lora.modelName)
    expect(cell.textContent).toBe(`Not found · ${lora.s3Uri}`)
    expect(cell.getAttribute('title')).toBe(message)
  })

  it('names the row\'s object "it" inside a longer reason, so the advice survives a narrow column', () => {
    renderTable([
      modelRecord(lora, {
        status: 'failed',
        errorCode: 'access_denied',
        errorMessage: `Access denied to ${lora.s3Uri} (or it does not exist): check the AWS profile or keys`,
      }),
    ])
    expect(transferCell(lora.modelName).textContent).toBe(
      `Access denied to it (or it does not exist): check the AWS profile or keys · ${lora.s3Uri}`,
    )
  })

  it('offers Retry with a visible word, and it asks the service to retry that model', async () => {
    const { fake, user } = renderTable([
      modelRecord(lora, { status: 'failed', errorCode: 'not_found', errorMessage: 'Not found' }),
    ])
    const retry = within(rowOf(lora.modelName)).getByRole('button', { name: `Retry ${lora.modelName}` })
    expect(retry.textContent).toBe('Retry')
    await user.click(retry)
    expect(fake.requestsOf('retry')).toEqual([{ ids: [lora.id] }])
  })

  it('words every state action: Download, Pause, Resume, Cancel', () => {
    renderTable([modelRecord(vae, { status: 'paused', downloaded: 10 * MB })])
    const words = (name: string) =>
      within(rowOf(name))
        .getAllByRole('button')
        .map((b) => b.textContent)
        .filter(Boolean)
    expect(words(lora.modelName)).toEqual(['Download'])
    expect(words(vae.modelName)).toEqual(['Resume', 'Cancel'])
  })
})

describe('a download waiting for its automatic retry', () => {
  const waiting = () =>
    modelRecord(vae, {
      status: 'queued',
      attempts: 1,
      autoRetries: 1,
      retryAt: new Date(NOW + 4_000).toISOString(),
      retryLimit: 3,
      errorCode: 'server_error',
      errorMessage: `The server failed HEAD of ${vae.s3Uri} (503)`,
    })

  it('says "retrying in N s (attempt k of n): reason" and counts the seconds down', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    vi.setSystemTime(NOW)
    renderTable([waiting()])
    expect(statusIn(rowOf(vae.modelName))).toBe('retrying')
    const cell = transferCell(vae.modelName)
    expect(cell.textContent).toBe('retrying in 4 s (attempt 2 of 4): The server failed HEAD of it (503)')
    act(() => vi.advanceTimersByTime(2_000))
    expect(cell.textContent).toMatch(/^retrying in 2 s \(attempt 2 of 4\)/)
    act(() => vi.advanceTimersByTime(5_000))
    expect(cell.textContent).toMatch(/^retrying now \(attempt 2 of 4\)/)
    // Paused or cancelled by hand meanwhile: the usual actions of a queued download.
    expect(
      within(rowOf(vae.modelName))
        .getAllByRole('button')
        .map((b) => b.textContent)
        .filter(Boolean),
    ).toEqual(['Pause', 'Cancel'])
  })

  it('goes back to the plain words once the attempt starts', () => {
    const { store } = renderTable([waiting()])
    act(() =>
      store
        .getState()
        .setRecords([
          { ...waiting(), status: 'progress', retryAt: undefined, retryLimit: undefined, downloaded: MB },
        ]),
    )
    expect(statusIn(rowOf(vae.modelName))).toBe('downloading')
    expect(transferCell(vae.modelName).textContent).not.toContain('retrying')
  })
})

it('shows no ETA of "0s" while nothing moves yet (connecting, or retrying inside the attempt)', () => {
  renderTable([
    modelRecord(vae, {
      status: 'progress',
      phase: 'head',
      downloaded: 0,
      totalSize: 300 * MB,
      speedBps: 0,
      etaSeconds: 0,
    }),
  ])
  expect(transferCell(vae.modelName).textContent).toBe('0 B / 300 MB · — · —')
})

it('counts a retrying download as in the queue in its group header', () => {
  renderTable([
    modelRecord(vae, {
      status: 'queued',
      autoRetries: 1,
      retryAt: new Date(Date.now() + 4_000).toISOString(),
      retryLimit: 3,
    }),
  ])
  const header = screen.getAllByRole('row').find((r) => r.getAttribute('data-group') === 'vae')!
  expect(header.textContent).toContain('· 1 model · 1 missing · 1 in queue ·')
})
