// The one place that listens to the Api's events, outside any component: it feeds the store. The queue
// follows the service through a RevisionFollower: a snapshot to start, then each change and progress
// event in revision order; a missed revision or another owner's epoch fetches a snapshot again. Nothing
// here re-lists or polls. It also does the first load of everything the window shows.
import type { Api } from '../../../shared/api-contract'
import { RevisionFollower } from '../../../shared/revision-follower'
import { errorMessage } from '../lib/format'
import type { AppStore } from './app-store'

/** The store's follower of the service's events, and why its last snapshot failed, if it did. */
interface StoreFollower {
  follower: RevisionFollower
  lastError: unknown
}

/** The follower the bridge runs for a store: "Try again" (commands.reconnect) restarts that same one. */
const followers = new WeakMap<AppStore, StoreFollower>()

function followService(api: Api, store: AppStore): StoreFollower {
  const state = () => store.getState()
  const followed: StoreFollower = {
    lastError: null,
    follower: new RevisionFollower({
      snapshot: (snapshot) => {
        followed.lastError = null
        state().applySnapshot(snapshot)
      },
      changed: (change) => state().applyChanged(change),
      progress: (tick) => state().mergeProgress(tick),
      fetchSnapshot: () => api.snapshot(),
      // The next event asks again; the first load reports it (see loadInitial).
      failed: (error) => {
        followed.lastError = error
      },
    }),
  }
  return followed
}

export function connectBridge(api: Api, store: AppStore): () => void {
  const state = () => store.getState()
  let closed = false
  const followed = followService(api, store)
  const { follower } = followed
  followers.set(store, followed)

  const unsubscribes = [
    api.onProgress((data) => follower.push({ type: 'progress', data })),
    api.onChanged((data) => follower.push({ type: 'changed', data })),
    api.onSettingsChanged((view) => state().setSettings(view)),
    api.onConfigChanged((config) => state().applyConfig(config)),
    api.onLocalChanged((changes) => state().mergeLocal(changes)),
    api.onScanProgress((progress) => state().applyScanProgress(progress)),
    api.onFocusModel(({ id }) => state().requestFocus(id)),
  ]

  void loadInitial(api, store, () => closed)

  return () => {
    closed = true
    follower.stop()
    if (followers.get(store) === followed) followers.delete(store)
    for (const unsubscribe of unsubscribes) unsubscribe()
  }
}

/** Fetches a snapshot through the store's follower (or a follower of its own when no bridge runs). */
async function followFromSnapshot(api: Api, store: AppStore): Promise<void> {
  const followed = followers.get(store) ?? followService(api, store)
  await followed.follower.start()
  if (!followed.follower.ready) throw followed.lastError ?? new Error('The service sent no snapshot')
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
    const [info, settings, config, recent] = await Promise.all([
      api.appInfo(),
      api.getSettings(),
      api.currentConfig(),
      api.recentConfigs(),
      // Records, queue order, batch and counts at one revision; applied by the follower as it arrives.
      followFromSnapshot(api, store),
    ])
    if (closed()) return
    state().setAppInfo(info)
    state().setSettings(settings)
    // An event may already have brought a newer config; the current one is only a starting point.
    if (!state().config) state().applyConfig(config)
    state().setRecent(recent)
    // What the config said of the disk is as old as its load: the first paint shows the disk as it is now.
    const models = [...state().models.values()].map((m) => ({
      localPath: m.localPath,
      expectedSize: m.expectedSize,
    }))
    if (models.length > 0) {
      const local = await api.statLocal({ models })
      if (closed()) return
      state().mergeLocal(local)
    }
    state().setConnection({ state: 'ready' })
  } catch (e) {
    if (!closed()) state().setConnection({ state: 'failed', message: errorMessage(e) })
  }
}
