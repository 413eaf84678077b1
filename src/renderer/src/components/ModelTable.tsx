// The models of a view as one table: a single virtualized list of group headers and rows, so 5,000
// models cost the same as 30. Every row is still a role="row" of this role="table", with
// aria-rowindex telling assistive technology where it sits in the whole list.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { SortKey, ViewKey } from '../store/app-store'
import { useAppStore, useStoreApi } from '../store/context'
import { buildListItems, groupsOf, modelsOf, needsStatus, type ListItem } from '../store/selectors'
import { GroupHeaderRow, GROUP_HEADER_HEIGHT } from './GroupHeaderRow'
import { ModelRow, ROW_HEIGHT } from './ModelRow'
import { SortIcon } from './icons'

const COLUMN_HEADER_HEIGHT = 32

export function ModelTable({ view, label }: { view: ViewKey; label: string }) {
  const store = useStoreApi()
  const models = useAppStore((s) => modelsOf(s, view))
  const groups = useAppStore((s) => groupsOf(s, view))
  const filterText = useAppStore((s) => s.views[view].filterText)
  const folder = useAppStore((s) => s.views[view].folder)
  const statusFilter = useAppStore((s) => s.views[view].statusFilter)
  const sort = useAppStore((s) => s.views[view].sort)
  const collapsed = useAppStore((s) => s.views[view].collapsed)
  // Statuses matter to the list's shape only when it filters or sorts by them; otherwise a download
  // finishing must not rebuild a list of thousands.
  const byStatus = needsStatus({ statusFilter, sort })
  const statuses = useAppStore((s) => (byStatus ? s.recordStatus : null))
  const local = useAppStore((s) => (byStatus ? s.local : null))

  const items = useMemo(
    () =>
      buildListItems({
        models,
        groups,
        view: { filterText, folder, statusFilter, sort, collapsed },
        statuses,
        local,
      }),
    [models, groups, filterText, folder, statusFilter, sort, collapsed, statuses, local],
  )

  const scrollRef = useRef<HTMLDivElement>(null)
  const getItemKey = useCallback((i: number) => items[i]?.key ?? i, [items])
  const estimateSize = useCallback(
    (i: number) => (items[i]?.kind === 'group' ? GROUP_HEADER_HEIGHT : ROW_HEIGHT),
    [items],
  )
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    // Each row mounted costs script and layout on a big scroll jump: a few beyond the view is enough.
    overscan: 4,
    // React renders a scroll's new rows in its own batch instead of inside the scroll event.
    useFlushSync: false,
    // The rows start below the sticky column header inside the same scroll box.
    scrollMargin: COLUMN_HEADER_HEIGHT,
    scrollPaddingStart: COLUMN_HEADER_HEIGHT,
  })

  const [active, setActive] = useState(0)
  const activeIndex = Math.min(active, Math.max(0, items.length - 1))

  /** Focus a row that may not be rendered yet: scroll to it, then focus it once it is there. */
  const focusIndex = useCallback(
    (index: number) => {
      const i = Math.max(0, Math.min(items.length - 1, index))
      setActive(i)
      virtualizer.scrollToIndex(i, { align: 'auto' })
      let tries = 0
      const attempt = () => {
        const el = scrollRef.current?.querySelector<HTMLElement>(`[role="row"][data-index="${i}"]`)
        if (el) el.focus({ preventScroll: true })
        else if (tries++ < 10) requestAnimationFrame(attempt)
      }
      requestAnimationFrame(attempt)
    },
    [items.length, virtualizer],
  )

  // A notification was clicked: show that model's row, even if its group is folded or filtered out.
  const focusRequest = useAppStore((s) => (view === 'downloads' ? s.focusRequest : null))
  const handledFocus = useRef(0)
  useEffect(() => {
    if (!focusRequest || handledFocus.current === focusRequest.seq) return
    const index = items.findIndex((it) => it.kind === 'model' && it.id === focusRequest.id)
    if (index >= 0) {
      handledFocus.current = focusRequest.seq
      focusIndex(index)
      return
    }
    const s = store.getState()
    const model = s.models.get(focusRequest.id)
    if (!model) {
      handledFocus.current = focusRequest.seq
      return
    }
    // Unfold and unfilter; the effect runs again with the new items.
    s.setCollapsed(view, model.group, false)
    s.setFilterText(view, '')
    s.setFolder(view, '')
    s.setStatusFilter(view, 'all')
  }, [focusRequest, items, focusIndex, store, view])

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement
    const rowEl = target.closest<HTMLElement>('[role="row"][data-index]')
    if (!rowEl) return
    const index = Number(rowEl.dataset['index'])
    const item = items[index]
    if (!item) return
    const onRow = target === rowEl
    const s = store.getState()
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 360) / ROW_HEIGHT) - 1)
    const keys: Record<string, () => void> = {
      ArrowDown: () => focusIndex(index + 1),
      ArrowUp: () => focusIndex(index - 1),
      PageDown: () => focusIndex(index + page),
      PageUp: () => focusIndex(index - page),
    }
    if (onRow) {
      keys['Home'] = () => focusIndex(0)
      keys['End'] = () => focusIndex(items.length - 1)
      if (item.kind === 'model') {
        keys[' '] = () => s.toggleSelected(view, item.id)
        keys['Enter'] = () => s.openDrawer(view, item.id)
      } else {
        keys['Enter'] = () => s.toggleCollapsed(view, item.group)
        keys[' '] = () => s.toggleCollapsed(view, item.group)
        keys['ArrowLeft'] = () => s.setCollapsed(view, item.group, true)
        keys['ArrowRight'] = () => s.setCollapsed(view, item.group, false)
      }
    }
    const run = keys[e.key]
    if (!run) return
    e.preventDefault()
    run()
  }

  const onFocusCapture = (e: React.FocusEvent<HTMLDivElement>) => {
    const rowEl = (e.target as HTMLElement).closest<HTMLElement>('[role="row"][data-index]')
    if (rowEl) setActive(Number(rowEl.dataset['index']))
  }

  const virtualItems = virtualizer.getVirtualItems()
  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={items.length + 1}
      className="models-container flex min-h-0 flex-1 flex-col"
    >
      {/* One scroll box holds the sticky column header and the rows, so both share the scrollbar's
          width and the columns line up. */}
      <div
        ref={scrollRef}
        className="min-h-0 flex-1 overflow-y-auto overscroll-contain"
        onKeyDown={onKeyDown}
        onFocus={onFocusCapture}
      >
        <ColumnHeader view={view} items={items} />
        {items.length === 0 ? (
          <NoRows view={view} />
        ) : (
          <div role="rowgroup" className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
            {virtualItems.map((v) => {
              const item = items[v.index]!
              const start = v.start - COLUMN_HEADER_HEIGHT
              return item.kind === 'group' ? (
                <GroupHeaderRow
                  key={v.key}
                  view={view}
                  group={item.group}
                  shown={item.shown}
                  index={v.index}
                  start={start}
                  active={v.index === activeIndex}
                />
              ) : (
                <ModelRow
                  key={v.key}
                  view={view}
                  id={item.id}
                  index={v.index}
                  start={start}
                  active={v.index === activeIndex}
                />
              )
            })}
          </div>
        )}
      </div>
    </div>
  )
}

function NoRows({ view }: { view: ViewKey }) {
  const filtering = useAppStore(
    (s) =>
      s.views[view].filterText !== '' || s.views[view].statusFilter !== 'all' || s.views[view].folder !== '',
  )
  const setFilterText = useAppStore((s) => s.setFilterText)
  const setStatusFilter = useAppStore((s) => s.setStatusFilter)
  const setFolder = useAppStore((s) => s.setFolder)
  return (
    <div className="muted flex items-center gap-3 px-4 py-6">
      {filtering ? (
        <>
          No models match the filter.
          <button
            type="button"
            className="btn"
            onClick={() => {
              setFilterText(view, '')
              setStatusFilter(view, 'all')
              setFolder(view, '')
            }}
          >
            Clear filter
          </button>
        </>
      ) : (
        'No models here.'
      )}
    </div>
  )
}

function ColumnHeader({ view, items }: { view: ViewKey; items: readonly ListItem[] }) {
  const sort = useAppStore((s) => s.views[view].sort)
  const selected = useAppStore((s) => s.views[view].selected)
  const cycleSort = useAppStore((s) => s.cycleSort)
  const setSelected = useAppStore((s) => s.setSelected)
  const shownIds = useMemo(() => items.flatMap((it) => (it.kind === 'model' ? [it.id] : [])), [items])
  const selectedShown = useMemo(() => shownIds.filter((id) => selected.has(id)).length, [shownIds, selected])
  const all = shownIds.length > 0 && selectedShown === shownIds.length
  const checkbox = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (checkbox.current) checkbox.current.indeterminate = selectedShown > 0 && !all
  }, [selectedShown, all])

  const sortable = (key: Exclude<SortKey, 'config'>, text: string, align = '') => {
    const dir = sort.key === key ? sort.dir : null
    return (
      <div
        role="columnheader"
        aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
        className={align}
      >
        <button
          type="button"
          className={`inline-flex items-center gap-1 rounded px-0.5 hover:text-zinc-900 dark:hover:text-zinc-100 ${dir ? 'text-zinc-900 dark:text-zinc-100' : ''}`}
          onClick={() => cycleSort(view, key)}
          title={`Sort by ${text.toLowerCase()}`}
        >
          {text}
          <SortIcon dir={dir} />
        </button>
      </div>
    )
  }
  return (
    <div
      role="rowgroup"
      className="sticky top-0 z-10 border-b border-zinc-200 bg-white dark:border-zinc-700 dark:bg-zinc-900"
    >
      <div
        role="row"
        aria-rowindex={1}
        className="model-grid px-3 text-xs font-medium text-zinc-500 dark:text-zinc-400"
        style={{ height: COLUMN_HEADER_HEIGHT - 1 }}
      >
        <div role="columnheader" className="flex items-center">
          <input
            ref={checkbox}
            type="checkbox"
            className="size-3.5 accent-(--color-accent)"
            aria-label="Select all shown"
            checked={all}
            disabled={shownIds.length === 0}
            onChange={() => setSelected(view, shownIds, !all)}
          />
        </div>
        {sortable('name', 'Name')}
        <div role="columnheader" className="path-cell">
          Local path
        </div>
        {sortable('size', 'Size', 'text-right')}
        {sortable('status', 'Status')}
        <div role="columnheader">Progress</div>
        <div role="columnheader">Transfer</div>
        <div role="columnheader" className="text-right">
          <span className="sr-only">Actions</span>
        </div>
      </div>
    </div>
  )
}
