// What the window asks of the service, with the bookkeeping around each call: store updates, and an
// error toast carrying the service's own message (which says what happened and what to do).
import type {
  Api,
  ConfigLoadResult,
  LoadedConfig,
  ModelInfo,
  SaveConfigRequest,
  SaveConfigResult,
  TestConnectionResult,
} from '../../../shared/api-contract'
import {
  sourceFields,
  type EnqueueEntry,
  type EnqueueResult,
  type ModelSelector,
  type MovePosition,
} from '../../../shared/service-contract'
import type { SettingsPatch, SettingsView } from '../../../shared/settings'
import { errorMessage, formatCount } from '../lib/format'
import type { AppStore, ConfigMeta, ViewKey } from './app-store'
import { loadInitial } from './bridge'
import { missingIds, modelsOf } from './selectors'
import { createWorkflowCommands } from './workflow-commands'

export type Commands = ReturnType<typeof createCommands>

/** What the service queues for a model: its ModelInfo without the window's ids. */
function toEntry(m: ModelInfo): EnqueueEntry {
  const { id: _id, entryId: _entryId, ...entry } = toModelInfo(m)
  return entry
}

/** Only the ModelInfo fields: a scanned model also carries its listing and local state. */
export function toModelInfo(m: ModelInfo): ModelInfo {
  const info: ModelInfo = {
    id: m.id,
    entryId: m.entryId,
    group: m.group,
    modelName: m.modelName,
    ...sourceFields(m),
    localPath: m.localPath,
    expectedSize: m.expectedSize,
  }
  if (m.sha256) info.sha256 = m.sha256
  if (m.symLinkedFrom) info.symLinkedFrom = m.symLinkedFrom
  return info
}

export function describeEnqueue(result: EnqueueResult, asked: number): string {
  const parts: string[] = []
  if (result.queued.length > 0) parts.push(`Queued ${formatCount(result.queued.length, 'model')}`)
  if (result.alreadyQueued.length > 0) parts.push(`${result.alreadyQueued.length} already in the queue`)
  if (result.alreadyComplete.length > 0)
    parts.push(`${result.alreadyComplete.length} already complete on disk`)
  if (result.linked.length > 0) parts.push(`${result.linked.length} will be linked to another copy`)
  if (parts.length === 0) return `Nothing to queue among ${formatCount(asked, 'model')}`
  return parts.join(' · ')
}

export function createCommands(api: Api, store: AppStore) {
  const state = () => store.getState()
  const fail = (error: unknown) => {
    state().pushToast('error', errorMessage(error))
  }

  async function selectorCall(
    method: 'pause' | 'resume' | 'cancel' | 'retry',
    selector: ModelSelector,
  ): Promise<string[]> {
    try {
      return await api[method](selector)
    } catch (e) {
      fail(e)
      return []
    }
  }

  function isCurrentConfig(current: ConfigMeta | null, modelCount: number, loaded: LoadedConfig): boolean {
    return (
      current !== null &&
      current.loadedAt === loaded.loadedAt &&
      JSON.stringify(current.source) === JSON.stringify(loaded.source) &&
      modelCount === loaded.models.length
    )
  }

  async function applyConfigResult(load: () => Promise<ConfigLoadResult | null>): Promise<boolean> {
    state().setConfigLoading(true)
    try {
      const result = await load()
      if (!result) return false // the user closed the dialog
      if (!result.ok) {
        state().setConfigProblem({ message: result.message, issues: result.issues })
        return false
      }
      // The config:changed event usually brought this very config first (the service tells every window):
      // applying thousands of models a second time would block the window for nothing.
      if (!isCurrentConfig(state().config, state().models.size, result.config))
        state().applyConfig(result.config)
      // The config just opened is what the user wants to see, not a workflow opened before it.
      state().closeWorkflow()
      state().setScreen('downloads')
      void api.recentConfigs().then(state().setRecent, () => {})
      return true
    } catch (e) {
      fail(e)
      return false
    } finally {
      state().setConfigLoading(false)
    }
  }

  async function enqueue(models: readonly ModelInfo[]): Promise<void> {
    if (models.length === 0) return
    try {
      const result = await api.enqueue({ entries: models.map(toEntry) })
      state().pushToast('info', describeEnqueue(result, models.length))
    } catch (e) {
      fail(e)
    }
  }

  /** Queue these models of a view (config or scan). */
  async function download(view: ViewKey, ids: readonly string[]): Promise<void> {
    const models = modelsOf(state(), view)
    await enqueue(ids.map((id) => models.get(id)).filter((m): m is ModelInfo => m !== undefined))
  }

  return {
    ...createWorkflowCommands(api, store),
    download,
    /** Load everything again after the first load failed. */
    reconnect: () => loadInitial(api, store),

    async downloadSelected(view: ViewKey): Promise<void> {
      const ids = [...state().views[view].selected]
      state().clearSelection(view)
      await download(view, ids)
    },

    downloadMissing: (view: ViewKey) => download(view, missingIds(state(), view)),

    /** Every model of the config: the service marks complete files as such without fetching them. */
    downloadAll(): Promise<void> {
      return enqueue([...state().models.values()])
    },

    pause: (ids: readonly string[]) => selectorCall('pause', { ids: [...ids] }),
    resume: (ids: readonly string[]) => selectorCall('resume', { ids: [...ids] }),
    cancel: (ids: readonly string[]) => selectorCall('cancel', { ids: [...ids] }),
    retry: (ids: readonly string[]) => selectorCall('retry', { ids: [...ids] }),
    pauseAll: () => selectorCall('pause', { all: true }),
    resumeAll: () => selectorCall('resume', { all: true }),
    cancelAll: () => selectorCall('cancel', { all: true }),

    async move(id: string, position: MovePosition): Promise<void> {
      try {
        // The new order comes back with the service's change event, like every other window's.
        await api.move({ id, position })
      } catch (e) {
        fail(e)
      }
    },

    openConfigDialog: () => applyConfigResult(() => api.openConfigDialog()),
    openConfigPath: (path: string) => applyConfigResult(() => api.openConfig({ path })),
    loadConfigText: (name: string, text: string) =>
      applyConfigResult(() => api.loadConfigText({ name, text })),
    openSampleConfig: () => applyConfigResult(() => api.openSampleConfig()),

    /** Stat every model of the config again (after files were moved by hand). */
    async refreshLocal(): Promise<void> {
      const models = [...state().models.values()].map((m) => ({
        localPath: m.localPath,
        expectedSize: m.expectedSize,
      }))
      if (models.length === 0) return
      try {
        state().mergeLocal(await api.statLocal({ models }))
      } catch (e) {
        fail(e)
      }
    },

    async reveal(id: string): Promise<void> {
      try {
        await api.reveal({ id })
      } catch (e) {
        fail(e)
      }
    },

    async copyText(text: string, what: string): Promise<void> {
      try {
        await navigator.clipboard.writeText(text)
        state().pushToast('info', `Copied ${what}`)
      } catch {
        state().pushToast(
          'error',
          `Could not copy ${what}: the browser refused clipboard access. Select it in the details panel instead.`,
        )
      }
    },

    /** Saves a patch; the caller shows a rejection beside the form, so it is rethrown. */
    async saveSettings(patch: SettingsPatch): Promise<SettingsView> {
      const view = await api.updateSettings(patch)
      state().setSettings(view)
      return view
    },

    async testConnection(draft: SettingsPatch): Promise<TestConnectionResult> {
      try {
        return await api.testConnection({ draft })
      } catch (e) {
        return { ok: false, message: errorMessage(e), elapsedMs: 0 }
      }
    },

    async startScan(uri: string, allTypes: boolean): Promise<void> {
      state().scanStarting(uri, allTypes)
      state().setScreen('browse')
      try {
        const { scanId } = await api.startScan({ uri, allTypes })
        if (state().scan.status === 'cancelled') {
          // Cancelled before the service answered: stop it there too.
          await api.cancelScan({ scanId }).catch(() => {})
          return
        }
        state().scanStarted(scanId)
      } catch (e) {
        const code =
          e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'error'
        state().scanFailed({ code, message: errorMessage(e) })
      }
    },

    async cancelScan(): Promise<void> {
      const { scanId } = state().scan
      state().scanCancelled()
      if (scanId) {
        try {
          await api.cancelScan({ scanId })
        } catch (e) {
          fail(e)
        }
      }
    },

    /** The desktop's save dialog; null when the user cancels. */
    async chooseSavePath(): Promise<string | null> {
      try {
        return await api.saveConfigDialog()
      } catch (e) {
        fail(e)
        return null
      }
    },

    async saveConfig(request: SaveConfigRequest): Promise<SaveConfigResult | null> {
      try {
        const result = await api.saveConfig({ ...request, models: request.models.map(toModelInfo) })
        const kept = result.kept > 0 ? ` (${formatCount(result.kept, 'entry', 'entries')} kept)` : ''
        state().pushToast(
          'info',
          `${request.mode === 'new' ? 'Saved' : 'Added'} ${formatCount(result.written, 'model')} to ${result.path}${kept}`,
        )
        void api.recentConfigs().then(state().setRecent, () => {})
        return result
      } catch (e) {
        fail(e)
        return null
      }
    },
  }
}
