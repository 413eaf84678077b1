// One model: one line, ~36 px. It subscribes to its own slice of the store, so a progress tick for
// another model does not re-render it.
import { memo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { formatBytes, formatBytesPair, formatEta, formatSpeed, percentOf } from '../lib/format'
import type { ModelRecord } from '../../../shared/service-contract'
import type { ViewKey } from '../store/app-store'
import { useAppStore, useCommands } from '../store/context'
import { selectRow, type RowView } from '../store/selectors'
import { isOnDisk } from '../store/status'
import { isSizeOnly } from '../../../shared/verification'
import { StatusBadge } from './StatusBadge'
import { ProgressBar } from './ProgressBar'
import { SizeOnlyMarker } from './SizeOnlyMarker'
import {
  CancelIcon,
  CopyIcon,
  DownloadIcon,
  FolderIcon,
  InfoIcon,
  PauseIcon,
  ResumeIcon,
  RetryIcon,
} from './icons'

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

function TransferCell({ row, sizeOnly }: { row: RowView; sizeOnly: ModelRecord | undefined }) {
  let content: React.ReactNode = null
  let title: string | undefined
  switch (row.status) {
    case 'downloading':
      title = row.fetchedBy
        ? `Being fetched by ${row.fetchedBy}, another machine on this volume; this one waits for the file to land`
        : `${formatBytesPair(row.downloaded, row.total)} · ${formatSpeed(row.speedBps)} · ETA ${formatEta(row.etaSeconds)}`
      content = row.fetchedBy ? (
        <>
          <span className="transfer-bytes">{formatBytesPair(row.downloaded, row.total)} · </span>
          <span className="muted">being fetched by {row.fetchedBy}</span>
        </>
      ) : row.phase === 'verifying' || row.phase === 'finalizing' ? (
        <>
          <span className="transfer-bytes">{formatBytesPair(row.downloaded, row.total)} · </span>
          <span className="muted">{row.phase}</span>
        </>
      ) : (
        <>
          <span className="transfer-bytes">
            {formatBytesPair(row.downloaded, row.total)}
            <span className="muted"> · </span>
          </span>
          {formatSpeed(row.speedBps)}
          <span className="muted"> · </span>
          {formatEta(row.etaSeconds)}
        </>
      )
      break
    case 'completed':
      // The status column holds only the word: how it was (not) verified goes where a row's details go.
      if (sizeOnly) content = <SizeOnlyMarker record={sizeOnly} />
      break
    case 'queued':
    case 'paused':
      if (row.downloaded > 0) content = formatBytesPair(row.downloaded, row.total)
      break
    case 'failed':
      title = row.error
      content = (
        <span className="text-red-700 dark:text-red-400">{row.error ?? 'failed without a reason'}</span>
      )
      break
    case 'missing':
      if (row.hint === 'resumable') {
        content = `resumable${row.localBytes ? ` · ${formatBytes(row.localBytes)} on disk` : ''}`
      } else if (row.hint === 'different size') {
        content = `different size${row.localBytes !== undefined ? ` · ${formatBytes(row.localBytes)} on disk` : ''}`
      } else if (row.hint) content = `${row.hint} at this path`
      break
  }
  return (
    <div role="cell" className="truncate text-xs tabular-nums" title={title}>
      {content}
    </div>
  )
}

/** Only the active row's controls are in the Tab order; arrow keys move between rows. */
function RowActions({
  view,
  id,
  row,
  tabbable,
}: {
  view: ViewKey
  id: string
  row: RowView
  tabbable: boolean
}) {
  const commands = useCommands()
  const canReveal = useAppStore((s) => s.appInfo?.capabilities.reveal ?? false)
  const openDrawer = useAppStore((s) => s.openDrawer)
  const name = row.name
  const act = (label: string, icon: React.ReactNode, onClick: () => void, tone = '') => (
    <button
      type="button"
      className={`icon-btn size-6 ${tone}`}
      aria-label={label}
      title={label}
      onClick={onClick}
      tabIndex={tabbable ? 0 : -1}
    >
      {icon}
    </button>
  )
  // Hidden until the row is hovered or focused, but always in the page and reachable by keyboard.
  const secondary =
    'opacity-0 group-hover/row:opacity-100 group-focus-within/row:opacity-100 focus:opacity-100'
  return (
    <>
      {(row.status === 'missing' || row.status === 'cancelled') &&
        act(
          `Download ${name}`,
          <DownloadIcon />,
          () => void commands.download(view, [id]),
          'text-accent dark:text-blue-400',
        )}
      {(row.status === 'queued' || row.status === 'downloading') &&
        act(`Pause ${name}`, <PauseIcon />, () => void commands.pause([id]))}
      {row.status === 'paused' && act(`Resume ${name}`, <ResumeIcon />, () => void commands.resume([id]))}
      {(row.status === 'queued' || row.status === 'downloading' || row.status === 'paused') &&
        act(`Cancel ${name}`, <CancelIcon />, () => void commands.cancel([id]))}
      {row.status === 'failed' && act(`Retry ${name}`, <RetryIcon />, () => void commands.retry([id]))}
      {canReveal &&
        (row.status === 'completed' || row.status === 'installed') &&
        act(`Reveal ${name} in folder`, <FolderIcon />, () => void commands.reveal(id))}
      <span className={`flex ${secondary}`}>
        {row.s3Uri &&
          act(`Copy S3 path of ${name}`, <CopyIcon />, () => void commands.copyText(row.s3Uri, row.s3Uri))}
        {act(`Details for ${name}`, <InfoIcon />, () => openDrawer(view, id))}
      </span>
    </>
  )
}
