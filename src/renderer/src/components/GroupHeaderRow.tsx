// A directory group's heading inside the table: the summary a user scans for
// ("loras · 12 models · 3 missing · 2 in queue · 4.1 GB"), how much of it is on disk, and its own picking button.
import { memo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { formatBytes, formatCount, percentOf } from '../lib/format'
import type { ViewKey } from '../store/app-store'
import { useAppStore, useStoreApi } from '../store/context'
import { missingIds, selectGroupSummary } from '../store/selectors'
import { ChevronIcon } from './icons'
import { ProgressBar } from './ProgressBar'

export const GROUP_HEADER_HEIGHT = 40

interface GroupHeaderRowProps {
  view: ViewKey
  group: string
  /** Rows of this group that pass the filter (the header says so when it hides some). */
  shown: number
  index: number
  start: number
  active: boolean
}

export const GroupHeaderRow = memo(function GroupHeaderRow({
  view,
  group,
  shown,
  index,
  start,
  active,
}: GroupHeaderRowProps) {
  const summary = useAppStore(useShallow((s) => selectGroupSummary(s, view, group)))
  const toggleCollapsed = useAppStore((s) => s.toggleCollapsed)
  const store = useStoreApi()
  const percent = percentOf(summary.bytesOnDisk, summary.bytesTotal)
  // Not on disk, whether or not it is in the queue ("missing" in the button counts only the others).
  const absent = summary.missing + summary.active
  const open = !summary.collapsed
  const selectMissing = () =>
    store.getState().setSelected(view, missingIds(store.getState(), view, group), true)
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      data-index={index}
      data-group={group}
      tabIndex={active ? 0 : -1}
      className="contained-row absolute inset-x-0 top-0 flex items-center border-b border-zinc-200 bg-zinc-100/80 px-3 outline-offset-[-2px] dark:border-zinc-700 dark:bg-zinc-800"
      style={{ height: GROUP_HEADER_HEIGHT, transform: `translateY(${start}px)` }}
    >
      <div role="cell" aria-colspan={8} className="flex min-w-0 flex-1 items-center gap-3">
        <h2 className="flex min-w-0 items-center text-[13px] font-semibold text-zinc-900 dark:text-zinc-50">
          <button
            type="button"
            className="-ml-1 flex min-w-0 items-center gap-1 rounded px-1 py-0.5 hover:bg-zinc-200 dark:hover:bg-zinc-700"
            aria-expanded={open}
            onClick={() => toggleCollapsed(view, group)}
            tabIndex={active ? 0 : -1}
          >
            <ChevronIcon open={open} />
            <span className="truncate">{group}</span>
          </button>
        </h2>
        <span className="muted shrink-0 truncate tabular-nums">
          · {formatCount(summary.count, 'model')} · {absent.toLocaleString('en-US')} missing
          {/* Queued files are still absent: "3 missing · 2 in queue", never "0 missing" while they are. */}
          {summary.active > 0 && (
            <span className="text-accent dark:text-blue-400">
              {' '}
              · {summary.active.toLocaleString('en-US')} in queue
            </span>
          )}{' '}
          · {formatBytes(summary.bytesTotal)}
          {shown < summary.count && ` · ${shown.toLocaleString('en-US')} shown`}
        </span>
        <span className="ml-auto hidden shrink-0 text-xs tabular-nums sm:inline">
          <span className="text-green-700 dark:text-green-400">
            {summary.installed.toLocaleString('en-US')} installed
          </span>
          {summary.failed > 0 && (
            <span className="text-red-700 dark:text-red-400">
              {' '}
              · {summary.failed.toLocaleString('en-US')} failed
            </span>
          )}
        </span>
        <span
          className="flex w-36 shrink-0 items-center gap-2 max-sm:ml-auto"
          title={`${percent}% of this group's bytes are on disk`}
        >
          <ProgressBar label={`${group} group progress`} percent={percent} className="flex-1" />
          <span className="w-9 text-right text-xs tabular-nums">{percent}%</span>
        </span>
        <button
          type="button"
          className="btn btn-quiet h-6 px-2 text-xs"
          aria-label={`Select missing in ${group}`}
          disabled={summary.missing === 0}
          onClick={selectMissing}
          tabIndex={active ? 0 : -1}
        >
          Select missing
        </button>
      </div>
    </div>
  )
})
