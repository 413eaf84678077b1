// Derived views of the store. Row and header selectors return flat objects of primitives so that
// `useShallow` re-renders a component only when one of its own numbers or words changed.
import type { LocalInfo, ModelInfo, ScannedModel } from '../../../shared/api-contract'
import { placeInRoot } from '../lib/format'
import type { ModelRecord, ModelStatus } from '../../../shared/service-contract'
import type { AppState, ViewKey, ViewState } from './app-store'
import type { GroupIndex } from './groups'
import {
  deriveStatus,
  isActive,
  isMissing,
  isOnDisk,
  STATUS_RANK,
  type DisplayStatus,
  type StatusView,
} from './status'

type ModelsOf = Pick<AppState, 'models' | 'groups' | 'scan'>

export function modelsOf(s: ModelsOf, view: ViewKey): ReadonlyMap<string, ModelInfo | ScannedModel> {
  return view === 'downloads' ? s.models : s.scan.models
}

export function groupsOf(s: ModelsOf, view: ViewKey): GroupIndex {
  return view === 'downloads' ? s.groups : s.scan.groups
}

export function statusOf(s: Pick<AppState, 'records' | 'local'>, id: string): StatusView {
  return deriveStatus(s.records.get(id), s.local.get(id))
}

export interface RowView {
  exists: boolean
  name: string
  group: string
  size: number
  localPath: string
  /** The folder inside the models root the model lands in (see placeInRoot). */
  place: string
  s3Uri: string
  status: DisplayStatus
  hint: StatusView['hint'] | undefined
  /** Bytes on disk for a partial or different-size file (no record). */
  localBytes: number | undefined
  hasRecord: boolean
  downloaded: number
  total: number
  speedBps: number
  etaSeconds: number | null
  phase: ModelRecord['phase'] | undefined
  /** Another machine on the shared volume fetches it (this one follows). */
  fetchedBy: string | undefined
  /** Why the last attempt failed: for a failed row, and for one waiting for its automatic retry. */
  error: string | undefined
  /** While "retrying": when, and the counts for "attempt k of n" (see shared/retry-notice). */
  retryAt: string | undefined
  retryLimit: number | undefined
  autoRetries: number
  selected: boolean
}

export function selectRow(s: AppState, view: ViewKey, id: string): RowView {
  const model = modelsOf(s, view).get(id)
  const record = s.records.get(id)
  const local = s.local.get(id)
  const { status, hint } = deriveStatus(record, local)
  const size = model?.expectedSize ?? record?.expectedSize ?? 0
  const name = model?.modelName ?? record?.modelName ?? id
  const localPath = model?.localPath ?? record?.localPath ?? id
  return {
    exists: model !== undefined,
    name,
    group: model?.group ?? record?.group ?? '',
    size,
    localPath,
    place: placeInRoot(localPath, name, s.settings?.settings.modelsRoot),
    s3Uri: model?.s3Uri ?? record?.s3Uri ?? '',
    status,
    hint,
    localBytes: record ? undefined : local?.bytes,
    hasRecord: record !== undefined,
    downloaded: record?.downloaded ?? 0,
    total: record ? record.totalSize || record.expectedSize : size,
    speedBps: record?.speedBps ?? 0,
    etaSeconds: record?.etaSeconds ?? null,
    phase: record?.phase,
    fetchedBy: record?.status === 'progress' ? record.fetchedBy : undefined,
    error:
      status === 'failed' || status === 'retrying' ? (record?.errorMessage ?? record?.errorCode) : undefined,
    retryAt: status === 'retrying' ? record?.retryAt : undefined,
    retryLimit: record?.retryLimit,
    autoRetries: record?.autoRetries ?? 0,
    selected: s.views[view].selected.has(id),
  }
}

export interface GroupSummary {
  count: number
  installed: number
  missing: number
  active: number
  failed: number
  bytesTotal: number
  /** Complete files plus the bytes of downloads under way: how much of the group is on disk. */
  bytesOnDisk: number
  selected: number
  collapsed: boolean
}

export function selectGroupSummary(s: AppState, view: ViewKey, group: string): GroupSummary {
  const entry = groupsOf(s, view).find((g) => g.name === group)
  const models = modelsOf(s, view)
  const v = s.views[view]
  const summary: GroupSummary = {
    count: 0,
    installed: 0,
    missing: 0,
    active: 0,
    failed: 0,
    bytesTotal: 0,
    bytesOnDisk: 0,
    selected: 0,
    collapsed: v.collapsed.has(group),
  }
  if (!entry) return summary
  for (const id of entry.ids) {
    const size = models.get(id)?.expectedSize ?? 0
    const record = s.records.get(id)
    const { status } = deriveStatus(record, s.local.get(id))
    summary.count++
    summary.bytesTotal += size
    if (v.selected.has(id)) summary.selected++
    if (isOnDisk(status)) {
      summary.installed++
      summary.bytesOnDisk += size
    } else if (isActive(status)) {
      summary.active++
      summary.bytesOnDisk += Math.min(record?.downloaded ?? 0, size)
    } else {
      summary.missing++
      if (status === 'failed') summary.failed++
    }
  }
  return summary
}

/** Ids in a group (or in every group) whose status says they can be fetched now. */
export function missingIds(s: AppState, view: ViewKey, group?: string): string[] {
  const ids: string[] = []
  for (const g of groupsOf(s, view)) {
    if (group !== undefined && g.name !== group) continue
    for (const id of g.ids) if (isMissing(statusOf(s, id).status)) ids.push(id)
  }
  return ids
}

export type ListItem =
  | { kind: 'group'; key: string; group: string; shown: number }
  | { kind: 'model'; key: string; id: string; group: string }

export interface ListInput {
  models: ReadonlyMap<string, ModelInfo>
  groups: GroupIndex
  view: Pick<ViewState, 'filterText' | 'statusFilter' | 'sort' | 'collapsed'> & { folder?: string }
  /** Record statuses and local states: only needed (and only subscribed to) when the view filters or sorts by status. */
  statuses: ReadonlyMap<string, ModelStatus> | null
  local: ReadonlyMap<string, LocalInfo> | null
}

export function needsStatus(view: Pick<ViewState, 'statusFilter' | 'sort'>): boolean {
  return view.statusFilter !== 'all' || view.sort.key === 'status'
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** The flat list the virtualized table draws: each group's header, then its visible rows. */
export function buildListItems({ models, groups, view, statuses, local }: ListInput): ListItem[] {
  const text = view.filterText.trim().toLowerCase()
  const folder = view.folder ?? ''
  const filtering = text !== '' || view.statusFilter !== 'all' || folder !== ''
  const status = (id: string): DisplayStatus => {
    const recorded = statuses?.get(id)
    return deriveStatus(recorded ? { status: recorded } : undefined, local?.get(id)).status
  }
  const items: ListItem[] = []
  for (const g of groups) {
    let ids = g.ids.filter((id) => {
      const m = models.get(id)
      if (!m) return false
      if (folder && !m.s3Uri?.startsWith(folder)) return false
      if (text && !m.modelName.toLowerCase().includes(text) && !m.localPath.toLowerCase().includes(text)) {
        return false
      }
      return view.statusFilter === 'all' || status(id) === view.statusFilter
    })
    if (filtering && ids.length === 0) continue
    const { key, dir } = view.sort
    if (key !== 'config') {
      const sign = dir === 'asc' ? 1 : -1
      const nameOf = (id: string) => models.get(id)!.modelName
      const compare =
        key === 'name'
          ? (a: string, b: string) => collator.compare(nameOf(a), nameOf(b))
          : key === 'size'
            ? (a: string, b: string) => models.get(a)!.expectedSize - models.get(b)!.expectedSize
            : (a: string, b: string) => STATUS_RANK[status(a)] - STATUS_RANK[status(b)]
      ids = ids.slice().sort((a, b) => sign * compare(a, b) || collator.compare(nameOf(a), nameOf(b)))
    }
    items.push({ kind: 'group', key: `g:${g.name}`, group: g.name, shown: ids.length })
    if (view.collapsed.has(g.name)) continue
    for (const id of ids) items.push({ kind: 'model', key: `m:${id}`, id, group: g.name })
  }
  return items
}

export interface QueueItemView {
  name: string
  status: DisplayStatus
  downloaded: number
  total: number
  speedBps: number
}

export function selectQueueItem(s: AppState, id: string): QueueItemView {
  const r = s.records.get(id)
  return {
    name: r?.modelName ?? id,
    status: deriveStatus(r, undefined).status,
    downloaded: r?.downloaded ?? 0,
    total: r ? r.totalSize || r.expectedSize : 0,
    speedBps: r?.speedBps ?? 0,
  }
}

/** Counts over the loaded config for the toolbar's buttons. */
export function selectConfigCounts(s: AppState): { total: number; missing: number } {
  let missing = 0
  for (const id of s.models.keys()) if (isMissing(statusOf(s, id).status)) missing++
  return { total: s.models.size, missing }
}
