// A row's Transfer column: bytes, speed and ETA while downloading, the reason of a failure (reason
// first, the object after, the whole message on hover), the countdown of an automatic retry.
import type { ModelRecord } from '../../../shared/service-contract'
import { formatBytes, formatBytesPair, formatEta, formatSpeed } from '../lib/format'
import { reasonFirst } from '../lib/error-text'
import type { RowView } from '../store/selectors'
import { RetryCountdown } from './RetryCountdown'
import { SizeOnlyMarker } from './SizeOnlyMarker'

/** A reason gets two lines of the 36 px row (and wraps inside a long path) before it is cut. */
const TWO_LINES = 'line-clamp-2 leading-4 [overflow-wrap:anywhere]'

export function TransferCell({ row, sizeOnly }: { row: RowView; sizeOnly: ModelRecord | undefined }) {
  let content: React.ReactNode = null
  let title: string | undefined
  switch (row.status) {
    case 'downloading': {
      // Nothing moving yet (connecting, or retrying inside the attempt): no time can be promised.
      const eta = row.speedBps > 0 ? formatEta(row.etaSeconds) : '—'
      title = row.fetchedBy
        ? `Being fetched by ${row.fetchedBy}, another machine on this volume; this one waits for the file to land`
        : `${formatBytesPair(row.downloaded, row.total)} · ${formatSpeed(row.speedBps)} · ETA ${eta}`
      // Who fetches it comes first: the bytes are that machine's, and the column may cut the end.
      content = row.fetchedBy ? (
        <>
          <span className="muted">by </span>
          {row.fetchedBy}
          <span className="transfer-bytes">
            <span className="muted"> · </span>
            {formatBytesPair(row.downloaded, row.total)}
          </span>
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
          {eta}
        </>
      )
      break
    }
    case 'completed':
      // The status column holds only the word: how it was (not) verified goes where a row's details go.
      if (sizeOnly) content = <SizeOnlyMarker record={sizeOnly} />
      break
    case 'queued':
    case 'paused':
      if (row.downloaded > 0) content = formatBytesPair(row.downloaded, row.total)
      break
    case 'retrying':
      return (
        <div role="cell" className={`${TWO_LINES} text-xs`}>
          <RetryCountdown
            record={{
              retryAt: row.retryAt,
              retryLimit: row.retryLimit,
              autoRetries: row.autoRetries,
              errorMessage: row.error,
            }}
            reason={row.error && reasonFirst(row.error, [row.s3Uri, row.localPath]).reason}
          />
        </div>
      )
    case 'failed': {
      const message = row.error ?? 'failed without a reason'
      const { reason, where } = reasonFirst(message, [row.s3Uri, row.localPath])
      title = message
      content = (
        <>
          <span className="text-red-700 dark:text-red-400">{reason}</span>
          {where && <span className="muted font-mono"> · {where}</span>}
        </>
      )
      break
    }
    case 'missing':
      if (row.hint === 'resumable') {
        content = `resumable${row.localBytes ? ` · ${formatBytes(row.localBytes)} on disk` : ''}`
      } else if (row.hint === 'different size') {
        content = `different size${row.localBytes !== undefined ? ` · ${formatBytes(row.localBytes)} on disk` : ''}`
      } else if (row.hint) content = `${row.hint} at this path`
      break
  }
  return (
    <div
      role="cell"
      className={`${row.status === 'failed' ? TWO_LINES : 'truncate'} text-xs tabular-nums`}
      title={title}
    >
      {content}
    </div>
  )
}
