// The queue in the service's order: what runs, what waits, the latest batch's totals, and the
// controls that act on everything at once.
import { memo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { formatBytesPair, formatCount, formatEta, formatSpeed, percentOf } from '../lib/format'
import { useAppStore, useCommands } from '../store/context'
import { selectQueueItem } from '../store/selectors'
import { ConfirmDialog } from './ConfirmDialog'
import { ProgressBar } from './ProgressBar'
import { StatusBadge } from './StatusBadge'
import { ArrowDownIcon, ArrowUpIcon, ToTopIcon } from './icons'

/** Beyond this many the panel says how many more wait: nobody reorders item 4,000 by hand. */
export const QUEUE_SHOWN = 200

export function QueuePanel({ id, className = '' }: { id?: string; className?: string }) {
  const order = useAppStore((s) => s.queueOrder)
  const counts = useAppStore(
    useShallow((s) => {
      let downloading = 0
      let waiting = 0
      let paused = 0
      for (const id of s.queueOrder) {
        const status = s.recordStatus.get(id)
        if (status === 'paused') paused++
        else if (status === 'progress') downloading++
        else waiting++
      }
      return { downloading, waiting, paused, running: downloading + waiting }
    }),
  )
  const commands = useCommands()
  const [confirming, setConfirming] = useState(false)
  const shown = order.slice(0, QUEUE_SHOWN)
  return (
    <aside
      id={id}
      aria-label="Download queue"
      className={`flex min-h-0 flex-col overflow-x-hidden ${className}`}
    >
      <div className="border-b border-zinc-200 px-3 py-2 dark:border-zinc-700/70">
        <div className="flex items-baseline gap-2">
          <h2 className="font-semibold text-zinc-900 dark:text-zinc-50">Queue</h2>
          <span className="muted text-xs tabular-nums">
            {order.length === 0 ? 'empty' : queueSummary(counts)}
          </span>
        </div>
        <div className="mt-1.5 flex gap-1">
          <button
            type="button"
            className="btn h-6 px-2 text-xs"
            disabled={counts.running === 0}
            onClick={() => void commands.pauseAll()}
          >
            Pause all
          </button>
          <button
            type="button"
            className="btn h-6 px-2 text-xs"
            disabled={counts.paused === 0}
            onClick={() => void commands.resumeAll()}
          >
            Resume all
          </button>
          <button
            type="button"
            className="btn h-6 px-2 text-xs"
            disabled={order.length === 0}
            onClick={() => setConfirming(true)}
          >
            Cancel all
          </button>
        </div>
      </div>
      <BatchSummary />
      {order.length === 0 ? (
        <p className="muted px-3 py-4 text-xs">
          Nothing in the queue. Press Download missing, or tick models and press Download selected.
        </p>
      ) : (
        <ol aria-label="Queued downloads" className="min-h-0 flex-1 overflow-y-auto py-1">
          {shown.map((id, i) => (
            <QueueItem key={id} id={id} position={i} last={i === order.length - 1} />
          ))}
          {order.length > shown.length && (
            <li className="muted px-3 py-2 text-xs">
              …and {(order.length - shown.length).toLocaleString('en-US')} more waiting
            </li>
          )}
        </ol>
      )}
      {confirming && (
        <ConfirmDialog
          title="Cancel every download?"
          confirmLabel="Yes, cancel everything"
          cancelLabel="Keep downloading"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false)
            void commands.cancelAll()
          }}
        >
          {formatCount(order.length, 'download')} will stop and their partial files will be deleted. Models
          already on disk stay.
        </ConfirmDialog>
      )}
    </aside>
  )
}

function queueSummary(counts: { downloading: number; waiting: number; paused: number }): string {
  const parts: string[] = []
  if (counts.downloading > 0) parts.push(`${counts.downloading.toLocaleString('en-US')} downloading`)
  if (counts.waiting > 0) parts.push(`${counts.waiting.toLocaleString('en-US')} waiting`)
  if (counts.paused > 0) parts.push(`${counts.paused.toLocaleString('en-US')} paused`)
  return parts.join(' · ')
}

/** The latest batch as the service summed it with its last event: the panel derives nothing of its own. */
function BatchSummary() {
  const batch = useAppStore((s) => s.batch)
  const downloading = useAppStore((s) => s.counts?.progress)
  if (!batch || !batch.batchId || batch.models === 0) return null
  const done = batch.completed + batch.failed + batch.cancelled
  const percent = percentOf(batch.bytesDone, batch.bytesTotal)
  // Speed and ETA only while something downloads: an ended or paused batch has neither.
  const running = done < batch.models && downloading !== 0
  return (
    <section
      aria-label="Latest batch"
      className="border-b border-zinc-200 px-3 py-2 text-xs dark:border-zinc-700/70"
    >
      <div className="flex items-baseline gap-2 tabular-nums">
        <span className="font-medium text-zinc-900 dark:text-zinc-100">
          {batch.completed.toLocaleString('en-US')} of {formatCount(batch.models, 'model')} done
        </span>
        {batch.failed > 0 && <span className="text-red-700 dark:text-red-400">{batch.failed} failed</span>}
        {batch.cancelled > 0 && <span className="muted">{batch.cancelled} cancelled</span>}
        <span className="ml-auto">{percent}%</span>
      </div>
      <ProgressBar label="Batch progress" percent={percent} className="my-1.5" />
      <div className="muted flex gap-2 tabular-nums">
        <span>{formatBytesPair(batch.bytesDone, batch.bytesTotal)}</span>
        {running && (
          <>
            <span>{formatSpeed(batch.speedBps)}</span>
            <span className="ml-auto">ETA {formatEta(batch.etaSeconds)}</span>
          </>
        )}
      </div>
    </section>
  )
}

const QueueItem = memo(function QueueItem({
  id,
  position,
  last,
}: {
  id: string
  position: number
  last: boolean
}) {
  const item = useAppStore(useShallow((s) => selectQueueItem(s, id)))
  const commands = useCommands()
  const percent = percentOf(item.downloaded, item.total)
  const move = (label: string, icon: React.ReactNode, where: 'top' | 'up' | 'down', disabled: boolean) => (
    <button
      type="button"
      className="icon-btn size-6"
      aria-label={label}
      title={label}
      disabled={disabled}
      onClick={() => void commands.move(id, where)}
    >
      {icon}
    </button>
  )
  return (
    <li className="group/q relative flex items-center gap-2 px-3 py-1 hover:bg-zinc-100 dark:hover:bg-zinc-800">
      <span className="muted w-6 shrink-0 text-right text-xs tabular-nums">{position + 1}</span>
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline gap-2">
          <span className="truncate" title={item.name}>
            {item.name}
          </span>
          <span className="ml-auto shrink-0 text-xs">
            <StatusBadge status={item.status} />
          </span>
        </div>
        {/* The row in the table carries the named progress bar; this one is a glance, hidden from
            assistive technology so the model has exactly one. */}
        <div aria-hidden="true" className="mt-0.5 flex items-center gap-2 text-xs tabular-nums">
          <div className="h-1 flex-1 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-700">
            <div
              className={`h-full rounded-full ${item.status === 'paused' ? 'bg-amber-500' : 'bg-accent'}`}
              style={{ width: `${percent}%` }}
            />
          </div>
          <span className="muted w-16 text-right">
            {item.status === 'downloading' ? formatSpeed(item.speedBps) : `${percent}%`}
          </span>
        </div>
      </div>
      {/* Over the item's right end while it is hovered or focused, so the name keeps the width otherwise. */}
      <div className="absolute inset-y-0 right-2 flex items-center bg-zinc-100 opacity-0 group-focus-within/q:opacity-100 group-hover/q:opacity-100 dark:bg-zinc-800">
        {move(`Move ${item.name} to top`, <ToTopIcon />, 'top', position === 0)}
        {move(`Move ${item.name} up`, <ArrowUpIcon />, 'up', position === 0)}
        {move(`Move ${item.name} down`, <ArrowDownIcon />, 'down', last)}
      </div>
    </li>
  )
})
