// Everything known about one model: what the config or the listing says, what the disk says, and the
// service's record of its downloads (attempts, errors with their codes, timings).
import { useEffect, useRef } from 'react'
import type { ScannedModel } from '../../../shared/api-contract'
import { isSizeOnly, verifiedByOf } from '../../../shared/verification'
import { formatBytes, formatBytesPair, formatTime } from '../lib/format'
import { useAppStore, useCommands } from '../store/context'
import { modelsOf } from '../store/selectors'
import { deriveStatus } from '../store/status'
import { StatusBadge } from './StatusBadge'
import { RetryCountdown } from './RetryCountdown'
import { CloseIcon, DownloadIcon, RetryIcon } from './icons'
import { SizeOnlyMarker, SizeOnlyNotice } from './SizeOnlyMarker'

const LOCAL_WORDS = {
  installed: 'complete file of the expected size',
  missing: 'nothing at this path',
  partial: 'partial download (.part), resumable',
  wrong_size: 'a file of a different size',
  not_a_file: 'something that is not a file',
  broken_link: 'a link to nothing',
} as const

export function DetailsDrawer() {
  const drawer = useAppStore((s) => s.drawer)
  const model = useAppStore((s) => (s.drawer ? modelsOf(s, s.drawer.view).get(s.drawer.id) : undefined))
  const record = useAppStore((s) => (s.drawer ? s.records.get(s.drawer.id) : undefined))
  const local = useAppStore((s) => (s.drawer ? s.local.get(s.drawer.id) : undefined))
  const closeDrawer = useAppStore((s) => s.closeDrawer)
  const commands = useCommands()
  const closeButton = useRef<HTMLButtonElement>(null)
  const id = drawer?.id

  // Focus goes to the drawer while it is open, and back where it came from (the row's button) after.
  const opener = useRef<HTMLElement | null>(null)
  const isOpen = id !== undefined
  useEffect(() => {
    if (!isOpen) return
    opener.current = document.activeElement as HTMLElement | null
    return () => {
      if (opener.current?.isConnected) opener.current.focus()
      opener.current = null
    }
  }, [isOpen])

  useEffect(() => {
    if (!id) return
    closeButton.current?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeDrawer()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [id, closeDrawer])

  if (!drawer) return null
  const name = model?.modelName ?? record?.modelName ?? drawer.id
  const s3Uri = model?.s3Uri ?? record?.s3Uri
  const scanned = model && 'lastModified' in model ? (model as ScannedModel) : undefined
  const { status, hint } = deriveStatus(record, local)
  const lastModified = scanned?.lastModified ?? record?.objectLastModified
  const etag = scanned?.etag ?? record?.etag
  const rows: Array<[string, React.ReactNode]> = [
    [
      'Status',
      <span key="s" className="inline-flex items-center gap-2">
        <StatusBadge status={status} />
        {hint && <span className="muted">{hint}</span>}
        {status === 'completed' && record && isSizeOnly(record) && <SizeOnlyMarker record={record} />}
      </span>,
    ],
    ['Group', model?.group ?? record?.group],
    ['Size', model || record ? formatBytes(model?.expectedSize ?? record!.expectedSize) : undefined],
    ['S3 object', s3Uri && <code className="font-mono break-all">{s3Uri}</code>],
    [
      'Local path',
      <code key="p" className="font-mono break-all">
        {model?.localPath ?? record?.localPath ?? drawer.id}
      </code>,
    ],
    [
      'On disk',
      local
        ? `${LOCAL_WORDS[local.state]}${local.bytes !== undefined ? ` (${formatBytes(local.bytes)})` : ''}`
        : undefined,
    ],
    [
      'SHA-256',
      (model?.sha256 ?? record?.sha256) && (
        <code className="font-mono break-all">{model?.sha256 ?? record?.sha256}</code>
      ),
    ],
    ['Config entry', model?.entryId],
    [
      'Link to',
      (model?.symLinkedFrom ?? record?.linkTo) && (
        <code className="font-mono break-all">{model?.symLinkedFrom ?? record?.linkTo}</code>
      ),
    ],
    // From the listing when browsing; from the transfer once downloaded (the object it was verified against).
    ['Last modified', lastModified && formatTime(lastModified)],
    ['ETag', etag && <code className="font-mono break-all">{etag}</code>],
    ['Compressed copy', scanned && (scanned.hasCompressedSibling ? 'the store also has a .tar.zst' : 'none')],
  ]
  const recordRows: Array<[string, React.ReactNode]> = record
    ? [
        ['Downloaded', formatBytesPair(record.downloaded, record.totalSize || record.expectedSize)],
        ['Phase', record.status === 'progress' ? record.phase : undefined],
        ['Fetched by', record.fetchedBy ? `${record.fetchedBy} (another machine on this volume)` : undefined],
        [
          'Verified by',
          record.status !== 'completed' ? undefined : isSizeOnly(record) ? (
            <SizeOnlyNotice record={record} />
          ) : (
            verifiedByOf(record).join(', ')
          ),
        ],
        ['Attempts', record.attempts.toLocaleString('en-US')],
        ['Automatic retries', record.autoRetries.toLocaleString('en-US')],
        ['Next attempt', status === 'retrying' && <RetryCountdown record={record} />],
        [
          status === 'retrying' ? 'Last error' : 'Error',
          record.errorCode && (
            <span className={status === 'retrying' ? '' : 'text-red-700 dark:text-red-400'}>
              <code className="font-mono">{record.errorCode}</code>
              {record.errorMessage && `: ${record.errorMessage}`}
            </span>
          ),
        ],
        ['Created', formatTime(record.createdAt)],
        ['Started', record.startedAt && formatTime(record.startedAt)],
        ['Finished', record.finishedAt && formatTime(record.finishedAt)],
        ['Last update', formatTime(record.lastUpdated)],
      ]
    : []
  return (
    <aside
      role="dialog"
      aria-modal="false"
      aria-label={`Details: ${name}`}
      className="fixed inset-y-0 right-0 z-40 flex w-[26rem] max-w-full flex-col border-l border-zinc-200 bg-white shadow-2xl dark:border-zinc-700 dark:bg-zinc-900"
    >
      <div className="flex items-center gap-2 border-b border-zinc-200 px-4 py-2.5 dark:border-zinc-700">
        <h2 className="min-w-0 flex-1 truncate font-semibold text-zinc-900 dark:text-zinc-50" title={name}>
          {name}
        </h2>
        <button
          ref={closeButton}
          type="button"
          className="icon-btn"
          aria-label="Close details"
          onClick={closeDrawer}
        >
          <CloseIcon />
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-4 py-3">
        <Facts rows={rows} />
        <h3 className="muted mt-4 mb-1 text-xs font-medium tracking-wide uppercase">Download record</h3>
        {record ? <Facts rows={recordRows} /> : <p className="muted">Not downloaded by this app yet.</p>}
        <div className="mt-4 flex flex-wrap gap-2">
          {/* The drawer is where a failure is read in full: what to do about it is right here. */}
          {status === 'failed' && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => void commands.retry([drawer.id])}
            >
              <RetryIcon />
              Retry
            </button>
          )}
          {(status === 'missing' || status === 'cancelled') && model && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => void commands.download(drawer.view, [drawer.id])}
            >
              <DownloadIcon />
              Download
            </button>
          )}
          {s3Uri && (
            <button type="button" className="btn" onClick={() => void commands.copyText(s3Uri, s3Uri)}>
              Copy S3 path
            </button>
          )}
        </div>
      </div>
    </aside>
  )
}

function Facts({ rows }: { rows: Array<[string, React.ReactNode]> }) {
  return (
    <dl className="grid grid-cols-[8.5rem_1fr] gap-x-3 gap-y-1.5">
      {rows
        .filter(([, value]) => value !== undefined && value !== null && value !== '' && value !== false)
        .map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="muted">{label}</dt>
            {/* Long paths and messages wrap anywhere: the drawer never clips what it is there to show. */}
            <dd className="min-w-0 tabular-nums [overflow-wrap:anywhere]">{value}</dd>
          </div>
        ))}
    </dl>
  )
}
