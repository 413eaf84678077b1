// The window's one store, in typed slices: what the service and the config say (data), the scan of a
// source, and what the user is doing (ui). Only the bridge and the commands write the data slices;
// components read through selectors. Progress ticks replace the records Map (never mutate it) so that
// selectors see a new object exactly when something changed.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type {
  AppInfo,
  ConfigIssueInfo,
  ConfigSource,
  LoadedConfig,
  LocalInfo,
  ModelInfo,
  ScannedModel,
  ScanProgress,
} from '../../../shared/api-contract'
import type {
  BatchProgress,
  ModelRecord,
  ProgressTick,
  ServiceSnapshot,
} from '../../../shared/service-contract'
import type { SettingsView } from '../../../shared/settings'
import { copyOnWrite } from './copy-on-write'
import { appendToGroups, indexGroups, type GroupIndex } from './groups'
import {
  fromList,
  fromSnapshot,
  withChange,
  withTick,
  type RecordChange,
  type ServiceView,
} from './service-records'
import type { DisplayStatus } from './status'
import { workflowSlice, type WorkflowActions, type WorkflowSlice } from './workflow-slice'

export type ViewKey = 'downloads' | 'browse'
export type SortKey = 'config' | 'name' | 'size' | 'status'
export type Screen = 'downloads' | 'browse' | 'settings'
export type ThemePreference = 'system' | 'light' | 'dark'

export interface ViewState {
  filterText: string
  /** Only models under this S3 prefix (`s3://bucket/models/loras/`); '' = every folder. */
  folder: string
  statusFilter: DisplayStatus | 'all'
  sort: { key: SortKey; dir: 'asc' | 'desc' }
  selected: ReadonlySet<string>
  collapsed: ReadonlySet<string>
}

export interface Toast {
  id: number
  kind: 'error' | 'info'
  message: string
}

export interface ConfigMeta {
  source: ConfigSource
  format: LoadedConfig['format']
  sources: readonly string[]
  loadedAt: string
}

export interface ConfigProblem {
  message: string
  issues: readonly ConfigIssueInfo[]
}

export type ScanStatus = 'idle' | 'starting' | 'running' | 'done' | 'failed' | 'cancelled'

export interface ScanState {
  status: ScanStatus
  scanId: string | null
  uri: string
  allTypes: boolean
  models: ReadonlyMap<string, ScannedModel>
  groups: GroupIndex
  folders: readonly string[]
  listed: number
  error: { code: string; message: string } | null
  /** Pages that arrived before scan:start answered with their id (events can overtake the reply). */
  early: readonly ScanProgress[]
}

export interface DataSlice extends ServiceView {
  connection: { state: 'connecting' | 'ready' | 'failed'; message?: string }
  appInfo: AppInfo | null
  settings: SettingsView | null
  recent: readonly string[]
  config: ConfigMeta | null
  configLoading: boolean
  configProblem: ConfigProblem | null
  /** The loaded config's models by id (absolute local path). */
  models: ReadonlyMap<string, ModelInfo>
  groups: GroupIndex
  /** What the disk says, by model id: from the config load, scans and the models-root watcher. */
  local: ReadonlyMap<string, LocalInfo>
}

export interface UiSlice {
  screen: Screen
  views: Record<ViewKey, ViewState>
  drawer: { view: ViewKey; id: string } | null
  toasts: readonly Toast[]
  theme: ThemePreference
  /** The queue panel as an overlay on narrow windows. */
  queueOpen: boolean
  /** A row to bring into view (a notification was clicked); seq makes a repeat request distinct. */
  focusRequest: { id: string; seq: number } | null
}

export interface DataActions {
  setConnection(state: DataSlice['connection']): void
  setAppInfo(info: AppInfo): void
  setSettings(view: SettingsView): void
  setRecent(paths: readonly string[]): void
  setConfigLoading(loading: boolean): void
  setConfigProblem(problem: ConfigProblem | null): void
  applyConfig(config: LoadedConfig | null): void
  /** Records as list() gives them (queue first, in its order). */
  setRecords(records: readonly ModelRecord[]): void
  /** Where the window starts following the service, and starts again after a gap. */
  applySnapshot(snapshot: ServiceSnapshot): void
  applyChanged(change: RecordChange): void
  mergeProgress(tick: ProgressTick): void
  setBatch(batch: BatchProgress): void
  mergeLocal(changes: Record<string, LocalInfo>): void
}

export interface ScanActions {
  scanStarting(uri: string, allTypes: boolean): void
  scanStarted(scanId: string): void
  applyScanProgress(progress: ScanProgress): void
  scanCancelled(): void
  scanFailed(error: { code: string; message: string }): void
}

export interface UiActions {
  setScreen(screen: Screen): void
  setFilterText(view: ViewKey, text: string): void
  setFolder(view: ViewKey, folder: string): void
  setStatusFilter(view: ViewKey, status: ViewState['statusFilter']): void
  /** Same key again flips the direction; a third time goes back to config order. */
  cycleSort(view: ViewKey, key: Exclude<SortKey, 'config'>): void
  toggleSelected(view: ViewKey, id: string): void
  setSelected(view: ViewKey, ids: readonly string[], selected: boolean): void
  clearSelection(view: ViewKey): void
  toggleCollapsed(view: ViewKey, group: string): void
  setCollapsed(view: ViewKey, group: string, collapsed: boolean): void
  openDrawer(view: ViewKey, id: string): void
  closeDrawer(): void
  pushToast(kind: Toast['kind'], message: string): number
  dismissToast(id: number): void
  setTheme(theme: ThemePreference): void
  setQueueOpen(open: boolean): void
  requestFocus(id: string): void
}

export type AppState = DataSlice &
  UiSlice & { scan: ScanState } & WorkflowSlice &
  DataActions &
  ScanActions &
  UiActions &
  WorkflowActions
export type AppStore = StoreApi<AppState>

export function emptyView(): ViewState {
  return {
    filterText: '',
    folder: '',
    statusFilter: 'all',
    sort: { key: 'config', dir: 'asc' },
    selected: new Set(),
    collapsed: new Set(),
  }
}

export function idleScan(uri = '', allTypes = false): ScanState {
  return {
    status: 'idle',
    scanId: null,
    uri,
    allTypes,
    models: new Map(),
    groups: [],
    folders: [],
    listed: 0,
    error: null,
    early: [],
  }
}

export function createAppStore(initial: Partial<UiSlice> = {}): AppStore {
  let toastSeq = 0
  let focusSeq = 0
  return createStore<AppState>()((set, get) => {
    const updateView = (view: ViewKey, change: (v: ViewState) => Partial<ViewState>) =>
      set((s) => ({ views: { ...s.views, [view]: { ...s.views[view], ...change(s.views[view]) } } }))

    return {
      connection: { state: 'connecting' },
      appInfo: null,
      settings: null,
      recent: [],
      config: null,
      configLoading: false,
      configProblem: null,
      models: new Map(),
      groups: [],
      local: new Map(),
      records: new Map(),
      recordStatus: new Map(),
      queueOrder: [],
      batch: null,
      counts: null,
      scan: idleScan(),
      screen: 'downloads',
      views: { downloads: emptyView(), browse: emptyView() },
      drawer: null,
      toasts: [],
      theme: 'system',
      queueOpen: false,
      focusRequest: null,
      ...workflowSlice(set),
      ...initial,

      setConnection: (connection) => set({ connection }),
      setAppInfo: (appInfo) => set({ appInfo }),
      setSettings: (settings) => set({ settings }),
      setRecent: (recent) => set({ recent }),
      setConfigLoading: (configLoading) => set({ configLoading }),
      setConfigProblem: (configProblem) => set({ configProblem }),

      applyConfig: (config) =>
        set((s) => {
          if (!config) {
            return {
              config: null,
              models: new Map(),
              groups: [],
              views: { ...s.views, downloads: { ...s.views.downloads, selected: new Set<string>() } },
              drawer: s.drawer?.view === 'downloads' ? null : s.drawer,
            }
          }
          const models = new Map(config.models.map((m) => [m.id, m]))
          const local = new Map(s.local)
          for (const [id, info] of Object.entries(config.local)) local.set(id, info)
          // A selection or an open drawer that points at models of the previous config means nothing now.
          const selected = new Set([...s.views.downloads.selected].filter((id) => models.has(id)))
          return {
            config: {
              source: config.source,
              format: config.format,
              sources: config.sources,
              loadedAt: config.loadedAt,
            },
            configProblem: null,
            models,
            groups: indexGroups(config.models),
            local,
            views: { ...s.views, downloads: { ...s.views.downloads, selected } },
            drawer: s.drawer?.view === 'downloads' && !models.has(s.drawer.id) ? null : s.drawer,
          }
        }),

      setRecords: (list) => set(fromList(list)),
      applySnapshot: (snapshot) => set(fromSnapshot(snapshot)),
      applyChanged: (change) => set((s) => withChange(s, change)),
      mergeProgress: (tick) => set((s) => withTick(s, tick)),

      setBatch: (batch) => set({ batch }),

      mergeLocal: (changes) =>
        set((s) => {
          const local = new Map(s.local)
          for (const [id, info] of Object.entries(changes)) local.set(id, info)
          return { local }
        }),

      scanStarting: (uri, allTypes) =>
        set({
          scan: { ...idleScan(uri, allTypes), status: 'starting' },
          views: { ...get().views, browse: emptyView() },
        }),

      scanStarted: (scanId) => {
        const { scan } = get()
        if (scan.status !== 'starting') return
        const early = scan.early.filter((p) => p.scanId === scanId)
        set({ scan: { ...scan, scanId, status: 'running', early: [] } })
        for (const p of early) get().applyScanProgress(p)
      },

      applyScanProgress: (p) =>
        set((s) => {
          const scan = s.scan
          if (scan.status === 'starting') return { scan: { ...scan, early: [...scan.early, p] } }
          if (scan.status !== 'running' || p.scanId !== scan.scanId) return {}
          const known = new Set(scan.models.keys())
          const groups = appendToGroups(scan.groups, p.models, known)
          const models = copyOnWrite(scan.models)
          const local = copyOnWrite(s.local)
          for (const m of p.models) {
            models.set(m.id, m)
            local.set(m.id, m.local)
          }
          const status: ScanStatus = p.done ? (p.error ? 'failed' : 'done') : 'running'
          return {
            local: local.result,
            scan: {
              ...scan,
              models: models.result,
              groups,
              folders: p.folders,
              listed: p.listed,
              status,
              error: p.error ?? null,
            },
          }
        }),

      scanCancelled: () =>
        set((s) =>
          s.scan.status === 'starting' || s.scan.status === 'running'
            ? { scan: { ...s.scan, status: 'cancelled', early: [] } }
            : {},
        ),

      scanFailed: (error) => set((s) => ({ scan: { ...s.scan, status: 'failed', error, early: [] } })),

      setScreen: (screen) => set({ screen }),
      setFilterText: (view, filterText) => updateView(view, () => ({ filterText })),
      setFolder: (view, folder) => updateView(view, () => ({ folder })),
      setStatusFilter: (view, statusFilter) => updateView(view, () => ({ statusFilter })),
      cycleSort: (view, key) =>
        updateView(view, (v) => {
          if (v.sort.key !== key) return { sort: { key, dir: 'asc' } }
          if (v.sort.dir === 'asc') return { sort: { key, dir: 'desc' } }
          return { sort: { key: 'config', dir: 'asc' } }
        }),
      toggleSelected: (view, id) =>
        updateView(view, (v) => {
          const selected = new Set(v.selected)
          if (!selected.delete(id)) selected.add(id)
          return { selected }
        }),
      setSelected: (view, ids, on) =>
        updateView(view, (v) => {
          const selected = new Set(v.selected)
          for (const id of ids) {
            if (on) selected.add(id)
            else selected.delete(id)
          }
          return { selected }
        }),
      clearSelection: (view) => updateView(view, () => ({ selected: new Set() })),
      toggleCollapsed: (view, group) =>
        updateView(view, (v) => {
          const collapsed = new Set(v.collapsed)
          if (!collapsed.delete(group)) collapsed.add(group)
          return { collapsed }
        }),
      setCollapsed: (view, group, on) =>
        updateView(view, (v) => {
          if (v.collapsed.has(group) === on) return {}
          const collapsed = new Set(v.collapsed)
          if (on) collapsed.add(group)
          else collapsed.delete(group)
          return { collapsed }
        }),
      openDrawer: (view, id) => set({ drawer: { view, id } }),
      closeDrawer: () => set({ drawer: null }),
      pushToast: (kind, message) => {
        const id = ++toastSeq
        // Keep the stack short: the newest few say what just happened.
        set((s) => ({ toasts: [...s.toasts.slice(-4), { id, kind, message }] }))
        return id
      },
      dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
      setTheme: (theme) => set({ theme }),
      setQueueOpen: (queueOpen) => set({ queueOpen }),
      requestFocus: (id) => set({ focusRequest: { id, seq: ++focusSeq }, screen: 'downloads' }),
    }
  })
}
