// @vitest-environment jsdom
import { screen, within } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { ConfirmDialog } from '../../../src/renderer/src/components/ConfirmDialog'
import { renderWithApp } from '../support/render'

function renderDialog() {
  const onConfirm = vi.fn()
  const onCancel = vi.fn()
  const rendered = renderWithApp(
    <ConfirmDialog
      title="Cancel every download?"
      confirmLabel="Yes, cancel everything"
      cancelLabel="Keep downloading"
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      3 downloads will stop.
    </ConfirmDialog>,
  )
  return { ...rendered, onConfirm, onCancel }
}

describe('ConfirmDialog', () => {
  it('is a modal alert dialog named by its title, with its text', () => {
    renderDialog()
    const dialog = screen.getByRole('alertdialog', { name: 'Cancel every download?' })
    expect(dialog.getAttribute('aria-modal')).toBe('true')
    expect(dialog.textContent).toContain('3 downloads will stop.')
    // Its text is its description, read out with the title.
    expect(document.getElementById(dialog.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      '3 downloads will stop.',
    )
  })

  it('starts with the safe answer focused', () => {
    renderDialog()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Keep downloading' }))
  })

  it('confirms with the confirm button only', async () => {
    const { user, onConfirm, onCancel } = renderDialog()
    await user.click(screen.getByRole('button', { name: 'Yes, cancel everything' }))
    expect(onConfirm).toHaveBeenCalledTimes(1)
    expect(onCancel).not.toHaveBeenCalled()
  })

  it('takes the safe button, Escape and a click outside as no', async () => {
    const { user, onConfirm, onCancel, container } = renderDialog()
    await user.click(screen.getByRole('button', { name: 'Keep downloading' }))
    await user.keyboard('{Escape}')
    await user.pointer({ keys: '[MouseLeft]', target: container.firstElementChild! })
    expect(onCancel).toHaveBeenCalledTimes(3)
    expect(onConfirm).not.toHaveBeenCalled()
  })

  it('does not take a click inside the box as no', async () => {
    const { user, onCancel } = renderDialog()
    await user.click(screen.getByText('3 downloads will stop.'))
    expect(onCancel).not.toHaveBeenCalled()
  })

  it('keeps Tab inside the dialog', async () => {
    const { user } = renderDialog()
    const dialog = screen.getByRole('alertdialog')
    const [safe, confirm] = within(dialog).getAllByRole('button')
    await user.tab()
    expect(document.activeElement).toBe(confirm)
    await user.tab()
    expect(document.activeElement).toBe(safe)
    await user.tab({ shift: true })
    expect(document.activeElement).toBe(confirm)
  })

  it('gives focus back to what had it when it closes', async () => {
    function Host() {
      const [open, setOpen] = useState(false)
      return (
        <>
          <button type="button" onClick={() => setOpen(true)}>
            Cancel all
          </button>
          {open && (
            <ConfirmDialog
              title="Sure?"
              confirmLabel="Yes"
              cancelLabel="No"
              onConfirm={() => {}}
              onCancel={() => setOpen(false)}
            >
              Really.
            </ConfirmDialog>
          )}
        </>
      )
    }
    const { user } = renderWithApp(<Host />)
    await user.click(screen.getByRole('button', { name: 'Cancel all' }))
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'No' }))
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('alertdialog')).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel all' }))
  })
})
