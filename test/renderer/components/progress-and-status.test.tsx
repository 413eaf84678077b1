// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { ProgressBar } from '../../../src/renderer/src/components/ProgressBar'
import { StatusBadge } from '../../../src/renderer/src/components/StatusBadge'
import { DISPLAY_STATUSES } from '../../../src/renderer/src/store/status'

afterEach(cleanup)

describe('ProgressBar', () => {
  it('is a progressbar named by its label, from 0 to 100, at its percent', () => {
    render(<ProgressBar label="flux1-dev.safetensors progress" percent={42} />)
    const bar = screen.getByRole('progressbar', { name: 'flux1-dev.safetensors progress' })
    expect(bar.getAttribute('aria-valuenow')).toBe('42')
    expect(bar.getAttribute('aria-valuemin')).toBe('0')
    expect(bar.getAttribute('aria-valuemax')).toBe('100')
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('42%')
  })

  it('fills in the colour of its status, the accent colour while running', () => {
    const fill = (status?: Parameters<typeof ProgressBar>[0]['status']) => {
      const { container, unmount } = render(<ProgressBar label="x" percent={10} status={status} />)
      const className = container.querySelector('[role="progressbar"] > div')!.className
      unmount()
      return className
    }
    expect(fill('downloading')).toContain('bg-accent')
    expect(fill(undefined)).toContain('bg-accent')
    expect(fill('paused')).toContain('bg-amber-500')
    expect(fill('failed')).toContain('bg-red-500')
    expect(fill('completed')).toContain('bg-green-600')
  })
})

describe('StatusBadge', () => {
  it.each(DISPLAY_STATUSES)('shows the word %s', (status) => {
    const { container } = render(<StatusBadge status={status} />)
    expect(container.textContent).toBe(status)
    expect(screen.getByText(status).getAttribute('data-status')).toBe(status)
  })

  it('gives the words of different states different colours, beside the word, never instead of it', () => {
    const tone = (status: (typeof DISPLAY_STATUSES)[number]) => {
      const { container, unmount } = render(<StatusBadge status={status} />)
      const badge = container.firstElementChild as HTMLElement
      const dot = badge.querySelector('[aria-hidden="true"]')
      expect(dot).not.toBeNull()
      const className = badge.className
      unmount()
      return className
    }
    expect(tone('failed')).not.toBe(tone('installed'))
    expect(tone('downloading')).not.toBe(tone('paused'))
    expect(tone('missing')).not.toBe(tone('cancelled'))
  })
})
