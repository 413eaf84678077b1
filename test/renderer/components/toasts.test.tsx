// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react'
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
  it('announces an error at once and information politely, in regions that are there before any message', () => {
    const { push } = renderToasts()
    expect(screen.getByRole('alert').textContent).toBe('')
    expect(screen.getByRole('status').textContent).toBe('')
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
    // One polite region holds them all (it exists before the first message, so it is announced).
    expect([...screen.getByRole('status').children].map((t) => t.textContent)).toEqual([
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
    await user.click(within(screen.getByRole('status')).getByRole('button', { name: 'Dismiss message' }))
    expect(screen.getByRole('status').textContent).toBe('')
    expect(screen.getByRole('alert').textContent).toBe('second')
  })

  it('lets information go after a few seconds and keeps errors longer', () => {
    vi.useFakeTimers()
    const { push } = renderToasts()
    push('info', 'Copied')
    push('error', 'Could not copy')
    act(() => vi.advanceTimersByTime(TOAST_MS.info))
    expect(screen.getByRole('status').textContent).toBe('')
    expect(screen.getByRole('alert').textContent).toBe('Could not copy')
    act(() => vi.advanceTimersByTime(TOAST_MS.error - TOAST_MS.info))
    expect(screen.getByRole('alert').textContent).toBe('')
  })

  it('stays clear of the queue panel: beside it where it is docked or open, at the edge on Settings', () => {
    const { push, store } = renderToasts()
    push('info', 'Queued 3 models')
    const stack = () => screen.getByText('Queued 3 models').closest('.fixed')!.className
    // Downloads: the panel is docked from 1200 px wide.
    expect(stack()).toContain('right-3 min-[1200px]:right-[19.5rem]')
    act(() => store.getState().setQueueOpen(true))
    expect(stack()).toContain('right-[19.5rem]')
    expect(stack()).not.toContain('right-3')
    act(() => store.getState().setScreen('settings'))
    expect(stack()).toContain('right-3')
    expect(stack()).not.toContain('19.5rem')
  })
})
