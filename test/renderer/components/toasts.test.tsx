// @vitest-environment jsdom
import { act, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TOAST_MS, Toasts } from '../../../src/renderer/src/components/Toasts'
import { createAppStore } from '../../../src/renderer/src/store/app-store'
import { renderWithApp } from '../support/render'

function renderToasts() {
  const store = createAppStore()
  const rendered = renderWithApp(<Toasts />, { store })
  const push = (kind: 'error' | 'info', message: string) =>
    act(() => void store.getState().pushToast(kind, message))
  return { ...rendered, push }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('Toasts', () => {
  it('announces an error at once and information politely', () => {
    const { push } = renderToasts()
    push('error', 'Access denied by the bucket: check the AWS profile in Settings')
    push('info', 'Queued 2 models')
    expect(screen.getByRole('alert').textContent).toBe(
      'Access denied by the bucket: check the AWS profile in Settings',
    )
    expect(screen.getByRole('status').textContent).toBe('Queued 2 models')
  })

  it('shows at most five, the newest ones', () => {
    const { push } = renderToasts()
    for (let i = 1; i <= 7; i++) push('info', `message ${i}`)
    expect(screen.getAllByRole('status').map((t) => t.textContent)).toEqual([
      'message 3',
      'message 4',
      'message 5',
      'message 6',
      'message 7',
    ])
  })

  it('goes away when dismissed', async () => {
    const { push, user } = renderToasts()
    push('info', 'first')
    push('error', 'second')
    const dismiss = screen.getAllByRole('button', { name: 'Dismiss message' })
    await user.click(dismiss[0]!)
    expect(screen.queryByRole('status')).toBeNull()
    expect(screen.getByRole('alert').textContent).toBe('second')
  })

  it('lets information go after a few seconds and keeps errors longer', () => {
    vi.useFakeTimers()
    const { push } = renderToasts()
    push('info', 'Copied')
    push('error', 'Could not copy')
    act(() => vi.advanceTimersByTime(TOAST_MS.info))
    expect(screen.queryByRole('status')).toBeNull()
    expect(screen.getByRole('alert')).toBeTruthy()
    act(() => vi.advanceTimersByTime(TOAST_MS.error - TOAST_MS.info))
    expect(screen.queryByRole('alert')).toBeNull()
  })
})
