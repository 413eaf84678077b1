// The one place that listens to the Api's events, outside any component: it feeds the store, and a
// progress tick touches only the records it names. It also does the first load of everything the
// window shows.
import type { Api } from '../../../shared/api-contract'
import { errorMessage } from '../lib/format'
import type { AppStore } from './app-store'

/** How long the bridge waits for changes to settle before reading the service's queue order again. */
export const LIST_REFRESH_MS = 300

export function connectBridge(api: Api, store: AppStore): () => void {
  const state = () => store.getState()
  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  let closed = false

  // The queue order (moves, new batches) is the service's; events say what changed, not where it
  // went, so the list is read again once a burst of changes has settled.
  const scheduleListRefresh = () => {
    if (refreshTimer !== null || closed) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      api.list().then(
        (records) => {
          if (!closed) state().setRecords(records)
        },
        () => {},
      )
    }, LIST_REFRESH_MS)
  }

  const unsubscribes = [
    api.onProgress((tick) => {
      const { records } = state()
      if (tick.models.some((m) => !records.has(m.id))) scheduleListRefresh()
      state().mergeProgress(tick)
    }),
    api.onChanged((change) => {
      const { records } = state()
      // A model entering the queue may have been placed anywhere in it (a retry keeps its old place).
      const entering = change.records.some(
        (r) => r.status === 'queued' && records.get(r.id)?.status !== 'queued',
      )
      state().applyChanged(change)
      if (entering) scheduleListRefresh()
    }),
    api.onSettingsChanged((view) => state().setSettings(view)),
    api.onConfigChanged((config) => state().applyConfig(config)),
    api.onLocalChanged((changes) => state().mergeLocal(changes)),
    api.onScanProgress((progress) => state().applyScanProgress(progress)),
    api.onFocusModel(({ id }) => state().requestFocus(id)),
  ]

  void loadInitial(api, store, () => closed)

  return () => {
    closed = true
    if (refreshTimer !== null) clearTimeout(refreshTimer)
    for (const unsubscribe of unsubscribes) unsubscribe()
  }
}

/** Everything the window needs at start, asked for at once; the window is usable when it all answered. */
export async function loadInitial(
  api: Api,
  store: AppStore,
  closed: () => boolean = () => false,
): Promise<void> {
  const state = () => store.getState()
  state().setConnection({ state: 'connecting' })
  try {
    const [info, settings, config, records, status, recent] = await Promise.all([
      api.appInfo(),
      api.getSettings(),
      api.currentConfig(),
      api.list(),
      api.status(),
      api.recentConfigs(),
    ])
    if (closed()) return
    state().setAppInfo(info)
    state().setSettings(settings)
    // An event may already have brought a newer config; the current one is only a starting point.
    if (!state().config) state().applyConfig(config)
    state().setRecords(records)
    if (!state().batch) state().setBatch(status.batch)
    state().setRecent(recent)
    state().setConnection({ state: 'ready' })
  } catch (e) {
    if (!closed()) state().setConnection({ state: 'failed', message: errorMessage(e) })
  }
}
