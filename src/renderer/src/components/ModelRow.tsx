// One model: one line, ~36 px. It subscribes to its own slice of the store, so a progress tick for
// another model does not re-render it.
import { memo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { formatBytes, percentOf } from '../lib/format'
import type { ViewKey } from '../store/app-store'
import { useAppStore } from '../store/context'
import { selectRow } from '../store/selectors'
import { isOnDisk } from '../store/status'
import { isSizeOnly } from '../../../shared/verification'
import { StatusBadge } from './StatusBadge'
import { ProgressBar } from './ProgressBar'
import { RowActions } from './RowActions'
import { TransferCell } from './TransferCell'

export const ROW_HEIGHT = 36

interface ModelRowProps {
  view: ViewKey
  id: string
  /** Position in the whole list (for aria-rowindex and keyboard focus). */
  index: number
  /** Pixels from the top of the list: rows are positioned by the virtualizer. */
  start: number
  /** The row that takes Tab focus in the table (roving tabindex). */
  active: boolean
}

export const ModelRow = memo(function ModelRow({ view, id, index, start, active }: ModelRowProps) {
  const row = useAppStore(useShallow((s) => selectRow(s, view, id)))
  const toggleSelected = useAppStore((s) => s.toggleSelected)
  const openDrawer = useAppStore((s) => s.openDrawer)
  // The record itself when only its size was checked (a stable reference: no re-render per tick).
  const sizeOnly = useAppStore((s) => {
    const record = s.records.get(id)
    return row.status === 'completed' && record !== undefined && isSizeOnly(record) ? record : undefined
  })
  // The bar agrees with the status word: a file on disk is 100%, and a record whose file has gone since
  // (deleted by hand) shows no bar, only "missing".
  const percent = isOnDisk(row.status) ? 100 : percentOf(row.downloaded, row.total)
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      data-index={index}
      data-id={id}
      tabIndex={active ? 0 : -1}
      onDoubleClick={() => openDrawer(view, id)}
      className={`contained-row model-grid group/row absolute inset-x-0 top-0 border-b border-zinc-100 px-3 outline-offset-[-2px] hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/60 ${row.selected ? 'bg-accent-soft/60 dark:bg-accent-soft' : ''}`}
      style={{ height: ROW_HEIGHT, transform: `translateY(${start}px)` }}
    >
      <div role="cell" className="flex items-center">
        <input
          type="checkbox"
          className="size-3.5 accent-(--color-accent)"
          aria-label={`Select ${row.name}`}
          checked={row.selected}
          onChange={() => toggleSelected(view, id)}
          tabIndex={active ? 0 : -1}
        />
      </div>
      <div
        role="cell"
        className="truncate font-medium text-zinc-900 dark:text-zinc-100"
        // The path column is left out of narrower tables: the full path is always here on hover.
        title={`${row.name}\n${row.localPath}`}
      >
        {row.name}
      </div>
      <div role="cell" className="path-cell muted truncate font-mono text-xs" title={row.localPath}>
        {row.place}
      </div>
      <div role="cell" className="text-right tabular-nums">
        {formatBytes(row.size)}
      </div>
      <div role="cell" className="truncate">
        <StatusBadge status={row.status} />
      </div>
      <div role="cell">
        {/* A cancelled download has no partial file left: no bar, only the word. */}
        {row.hasRecord && row.status !== 'missing' && row.status !== 'cancelled' && (
          <div className="flex items-center gap-2">
            <ProgressBar
              label={`${row.name} progress`}
              percent={percent}
              status={row.status}
              className="flex-1"
            />
            <span className="w-9 text-right text-xs tabular-nums">{percent}%</span>
          </div>
        )}
      </div>
      <TransferCell row={row} sizeOnly={sizeOnly} />
      <div role="cell" className="flex items-center justify-end gap-0.5">
        <RowActions view={view} id={id} row={row} tabbable={active} />
      </div>
    </div>
  )
})
