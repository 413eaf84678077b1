// Filtering and picking above a model table; a view adds its own buttons on the right.
import type { ReactNode } from 'react'
import type { ViewKey, ViewState } from '../store/app-store'
import { useAppStore, useCommands } from '../store/context'
import { DISPLAY_STATUSES } from '../store/status'

export function Toolbar({
  view,
  selectedIsPrimary = true,
  children,
}: {
  view: ViewKey
  /** False where the view's own main button (children) is the main task, e.g. "Download missing". */
  selectedIsPrimary?: boolean
  children?: ReactNode
}) {
  const filterText = useAppStore((s) => s.views[view].filterText)
  const statusFilter = useAppStore((s) => s.views[view].statusFilter)
  const selectedCount = useAppStore((s) => s.views[view].selected.size)
  const setFilterText = useAppStore((s) => s.setFilterText)
  const setStatusFilter = useAppStore((s) => s.setStatusFilter)
  const clearSelection = useAppStore((s) => s.clearSelection)
  const commands = useCommands()
  return (
    <div className="flex flex-wrap items-center gap-2 px-3 py-2">
      <input
        type="search"
        className="input w-56 max-w-full"
        placeholder="Filter by name or path"
        aria-label="Filter models"
        value={filterText}
        onChange={(e) => setFilterText(view, e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setFilterText(view, '')
        }}
        data-filter-input
      />
      <select
        className="input"
        aria-label="Status filter"
        value={statusFilter}
        onChange={(e) => setStatusFilter(view, e.target.value as ViewState['statusFilter'])}
      >
        <option value="all">Every status</option>
        {DISPLAY_STATUSES.map((s) => (
          <option key={s} value={s}>
            Only {s}
          </option>
        ))}
      </select>
      <span className="mx-1 h-5 w-px bg-zinc-200 dark:bg-zinc-700" aria-hidden="true" />
      <button
        type="button"
        className={selectedIsPrimary ? 'btn btn-primary' : 'btn'}
        disabled={selectedCount === 0}
        onClick={() => void commands.downloadSelected(view)}
      >
        Download selected
        {selectedCount > 0 && <span className="tabular-nums">({selectedCount.toLocaleString('en-US')})</span>}
      </button>
      {selectedCount > 0 && (
        <button type="button" className="btn btn-quiet" onClick={() => clearSelection(view)}>
          Clear selection
        </button>
      )}
      <div className="ml-auto flex flex-wrap items-center gap-2">{children}</div>
    </div>
  )
}
