// Queries by what a user sees, as the issue names things: a model's row is a table row containing its
// name.
import { screen, within } from '@testing-library/react'

/** The one table row that has a cell reading exactly this model name. */
export function rowOf(name: string, container: HTMLElement = document.body): HTMLElement {
  const rows = within(container)
    .queryAllByRole('row')
    .filter((row) =>
      within(row)
        .queryAllByRole('cell')
        .some((cell) => cell.textContent === name),
    )
  if (rows.length !== 1) throw new Error(`Expected one row for ${name}, found ${rows.length}`)
  return rows[0]!
}

export function queryRowOf(name: string): HTMLElement | null {
  try {
    return rowOf(name)
  } catch {
    return null
  }
}

/** Model names of the rendered model rows, top to bottom (rows with a "Select NAME" checkbox). */
export function shownModelNames(): string[] {
  return screen
    .queryAllByRole('checkbox')
    .map((box) => box.getAttribute('aria-label') ?? '')
    .filter((label) => label.startsWith('Select ') && label !== 'Select all shown')
    .map((label) => label.slice('Select '.length))
}

/** The status word a row shows. */
export function statusIn(row: HTMLElement): string | null {
  return row.querySelector('[data-status]')?.textContent ?? null
}
