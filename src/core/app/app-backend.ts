// The server side of the window's Api, shared by both doors: Electron main (IPC, src/main) and
// `modeldl serve` (WebSocket, src/cli/serve). One handler per invoke channel and one stream of events;
// the doors only validate requests, carry envelopes and add what only they can do (native dialogs).
import { randomUUID } from 'node:crypto'
import { dirname, join, normalize } from 'node:path'
import pLimit from 'p-limit'
import {
  ApiError,
  type ApiHandlers,
  type ConfigLoadResult,
  type EmitEvent,
  type EventChannel,
  type EventContract,
  type LoadedConfig,
  type ScanProgress,
  type ScanRequest,
  type TestConnectionRequest,
  type TestConnectionResult,
} from '../../shared/api-contract'
import type { ModelStatus, OwnerKind, ServiceEvent } from '../../shared/service-contract'
import type { OpenedWorkflow } from '../../shared/workflow'
import type { AppSettings, SettingsPatch } from '../../shared/settings'
import { DEFAULT_TUNING } from '../../shared/transfer'
import { PathCache } from '../config/path-safety'
import { saveModelConfig } from '../config/save-config'
import { checkModelsRoot } from '../gate/models-root'
import { GateError, PathGate } from '../gate/path-gate'
import { gatedHandlers } from '../gate/request-gate'
import { ModelsWatcher } from '../scan/models-watcher'
import { ScanError, scanSource } from '../scan/scan-source'
import type { ServiceSettings } from '../service/download-service'
import type { ServiceLink } from '../service/owner/service-link'
import type { StatePaths } from '../service/state-paths'
import { createS3Client } from '../transfer/s3-client'
import { asApiError } from './api-errors'
import { configOptions, loadConfigFile, loadConfigText, loadSampleConfig, statModels } from './loaded-config'
import { LocalStateTracker } from './local-tracker'
import { RecentConfigs } from './recent-configs'
import { s3SettingsFrom } from './service-settings'
import { applySettingsPatch, parseSettingsPatch, type SettingsStore } from './settings-store'
import { connectionTarget, testConnection } from './test-connection'
import { createUrlHandlers } from './url-handlers'
import { checkWindowUrl } from './window-urls'
import { openWorkflowData, openWorkflowFile, type WorkflowOpenContext } from './workflow-open'

type Env = Record<string, string | undefined>

export interface AppBackendDeps {
  /** A ServiceLink (src/core/service/owner/service-link.ts); a test may hand in the service itself. */
  service: Pick<ServiceLink, 'api'> & {
    subscribe(listener: (e: ServiceEvent) => void): Promise<() => void> | (() => void)
  }
  /** Set when this process owns the service: settings changes are applied to it at once. */
  applyServiceSettings?: (settings: ServiceSettings) => void
  settings: SettingsStore
  paths: StatePaths
  ownerKind: OwnerKind
  shell: 'electron' | 'browser'
  version: string
  platform?: string
  env?: Record<string, string | undefined>
  /**
   * Certificates to trust when the backend looks URLs up (url:lookup, workflow:download) instead of
   * Node's defaults plus NODE_EXTRA_CA_CERTS: a process that cannot be started with that variable (a
   * test's own CA). The worker's downloads follow its own environment.
   */
  httpCa?: string[]
  /** resources/sample-model-config.json */
  sampleConfigPath: string
  /** Where the backend reports what the window cannot act on (a watcher that failed to start…). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void
}

export interface AppBackend {
  /** dialog:* and shell:reveal reject with ApiError('unsupported', …): Electron main overrides them. */
  handlers: ApiHandlers
  /** Every event: service progress/changed, settings, config, local state, scans. */
  onEvent(emit: EmitEvent): () => void
  /**
   * Loads a config file the user named outside any window (a second launch, --config, a native open
   * dialog) as config:open does, tells every window, and lets windows use that file's folder.
   */
  loadConfigFile(path: string): Promise<ConfigLoadResult>
  /** The user chose this folder in a native dialog: windows may open and save configs in it. */
  allowConfigFolder(folder: string): void
  /** Opens a workflow file the user chose in a native dialog, as workflow:open does with bytes. */
  openWorkflowFile(path: string): Promise<OpenedWorkflow>
  close(): Promise<void>
}

/** The window sees these statuses when the file on disk has just changed (completed, removed, kept). */
const RESTAT_ON: ReadonlySet<ModelStatus> = new Set(['completed', 'cancelled', 'failed', 'paused'])
/** File events arrive in bursts (a download's rename, a folder copied in): one re-stat per burst. */
const WATCH_DEBOUNCE_MS = 300
export const RECENT_CONFIGS_FILE = 'recent-configs.json'
/** local:stat's paths checked at once by the gate. */
const STAT_GATE_IN_FLIGHT = 32

const DESKTOP_ONLY =
  'only the desktop app has native dialogs and a file manager to reveal in: type the path or drop the file instead'

export async function createAppBackend(deps: AppBackendDeps): Promise<AppBackend> {
  const env: Env = deps.env ?? process.env
  const log = deps.log ?? (() => {})
  const emitters = new Set<EmitEvent>()
  const emit = <C extends EventChannel>(channel: C, payload: EventContract[C]): void => {
    for (const e of emitters) {
      try {
        e(channel, payload)
      } catch (err) {
        log('error', `A window's event listener failed on ${channel}: ${String(err)}`)
      }
    }
  }

  const recent = await RecentConfigs.open(join(deps.paths.dir, RECENT_CONFIGS_FILE))
  // The rules every window request meets, whichever door it came through.
  const gate = new PathGate([deps.settings.view().settings.modelsRoot])
  for (const path of recent.list()) gate.allowConfigFile(path)
  const rememberRecent = async (path: string): Promise<void> => {
    gate.allowConfigFile(path)
    await recent.add(path).catch((err: unknown) => log('warn', `Cannot save the recent list: ${err}`))
  }
  const tracker = new LocalStateTracker((changed) => emit('local:changed', changed))
  const refreshFailed = (err: unknown): void => log('warn', `Could not re-stat model files: ${String(err)}`)
  let current: LoadedConfig | null = null
  let closed = false

  // ---- the models root watcher --------------------------------------------------------------------
  let watcher: ModelsWatcher | null = null
  let watching: Promise<void> = Promise.resolve()
  const watchRoot = (root: string): Promise<void> =>
    (watching = watching.then(async () => {
      if (closed || watcher?.root === root) return
      await watcher?.close()
      // The disk is the truth: files that change under the window change what it and the queue say.
      const onDiskChange = (): void => {
        void tracker.refreshAll().catch(refreshFailed)
        void checkDisk()
      }
      watcher = new ModelsWatcher(root, onDiskChange, {
        debounceMs: WATCH_DEBOUNCE_MS,
      })
      try {
        await watcher.start()
      } catch (err) {
        // Not fatal: local state is still refreshed when downloads end and when a config is loaded.
        log('warn', `Cannot watch the models folder ${root}: ${String(err)}`)
      }
    }))

  // ---- settings -------------------------------------------------------------------------------------
  let watchedRoot = deps.settings.view().settings.modelsRoot
  const offSettings = deps.settings.onChange((view) => {
    // At once in this process when it owns the queue; an owner elsewhere re-reads settings.json itself.
    deps.applyServiceSettings?.(deps.settings.serviceSettings())
    emit('settings:changed', view)
    if (view.settings.modelsRoot !== watchedRoot) {
      watchedRoot = view.settings.modelsRoot
      gate.setRoots([watchedRoot])
      void watchRoot(watchedRoot)
    }
  })
  await watchRoot(watchedRoot)

  // ---- the service's events ----------------------------------------------------------------------
  const unsubscribeService = await deps.service.subscribe((event) => {
    if (event.type === 'progress') {
      emit('downloads:progress', event.data)
      return
    }
    emit('downloads:changed', event.data)
    const ended = event.data.records.filter((r) => RESTAT_ON.has(r.status) && tracker.has(r.id))
    if (ended.length > 0) void tracker.refresh(ended.map((r) => r.id)).catch(refreshFailed)
  })

  /** The queue's records against the disk; a failure (the owner is restarting) is only logged. */
  const checkDisk = (): Promise<void> =>
    deps.service.api.checkDisk().then(
      () => undefined,
      (err: unknown) => log('warn', `Checking the queue against the disk failed: ${String(err)}`),
    )

  // ---- configs ------------------------------------------------------------------------------------
  const options = () => configOptions(deps.settings.view().settings, env)

  async function adopt(result: ConfigLoadResult, recentPath?: string): Promise<ConfigLoadResult> {
    if (!result.ok) return result
    // A config opened is a queue looked at again: completed records whose files are gone go first.
    await checkDisk()
    current = result.config
    tracker.replace('config', current.models, current.local)
    if (recentPath) await rememberRecent(recentPath)
    emit('config:changed', current)
    return result
  }

  const openFile = async (path: string): Promise<ConfigLoadResult> => {
    const file = normalize(path)
    return adopt(await loadConfigFile(file, options()), file)
  }

  // ---- scans --------------------------------------------------------------------------------------
  const scans = new Map<string, AbortController>()

  function startScan(request: ScanRequest): { scanId: string } {
    const scanId = randomUUID()
    const controller = new AbortController()
    scans.set(scanId, controller)
    const { settings } = deps.settings.view()
    if (settings.sourceUri !== request.uri) {
      deps.settings.update({ sourceUri: request.uri }).catch((err: unknown) => {
        log('warn', `Cannot remember the source ${request.uri}: ${String(err)}`)
      })
    }
    tracker.replace('scan', [], {})
    // After the answer to scan:start has left: the window knows the id before the first page arrives.
    setImmediate(() => void runScan(scanId, request, settings, controller.signal))
    return { scanId }
  }

  async function runScan(
    scanId: string,
    request: ScanRequest,
    settings: AppSettings,
    signal: AbortSignal,
  ): Promise<void> {
    const client = createS3Client(
      s3SettingsFrom(settings, deps.settings.credentials(), env),
      DEFAULT_TUNING,
      env,
    )
    const progress = (p: Omit<ScanProgress, 'scanId' | 'uri'>): void =>
      emit('scan:progress', { scanId, uri: request.uri, ...p })
    let folders: string[] = []
    let listed = 0
    let pages = 0
    const networkVolume = settings.networkVolume || env['NETWORK_VOLUME'] || ''
    try {
      const result = await scanSource({
        client,
        uri: request.uri,
        allTypes: request.allTypes ?? false,
        extensions: settings.modelExtensions,
        modelsRoot: settings.modelsRoot,
        ...(networkVolume ? { networkVolume } : {}),
        signal,
        onFolders: (top) => {
          folders = top
          if (!closed) progress({ models: [], folders: top, listed: 0, done: false })
        },
        onPage: (page) => {
          pages++
          folders = page.folders
          listed = page.listed
          if (closed) return
          tracker.add('scan', page.models, Object.fromEntries(page.models.map((m) => [m.id, m.local])))
          progress({ models: page.models, folders: page.folders, listed: page.listed, done: false })
        },
      })
      if (closed) return
      // A scan that found everything in one go still reaches the window.
      const models = pages === 0 ? result.models : []
      if (models.length > 0) {
        tracker.add('scan', models, Object.fromEntries(models.map((m) => [m.id, m.local])))
      }
      progress({ models, folders: result.folders, listed: result.listed, done: true })
    } catch (err) {
      if (closed) return
      const error =
        err instanceof ScanError
          ? { code: err.code, message: err.message }
          : {
              code: 'internal',
              message: `The scan failed: ${err instanceof Error ? err.message : String(err)}`,
            }
      progress({ models: [], folders, listed, done: true, error })
    } finally {
      scans.delete(scanId)
      client.destroy()
    }
  }

  // ---- test connection ----------------------------------------------------------------------------
  async function runTestConnection(request: TestConnectionRequest): Promise<TestConnectionResult> {
    const draft: SettingsPatch = request.draft ? parseSettingsPatch(request.draft) : {}
    const settings = applySettingsPatch(deps.settings.view().settings, draft)
    // Keys typed into the form are tried as typed, before anything is stored.
    const typed = draft.s3?.accessKeyId && draft.s3.secretAccessKey
    const credentials = typed
      ? { accessKeyId: draft.s3!.accessKeyId!, secretAccessKey: draft.s3!.secretAccessKey! }
      : deps.settings.credentials()
    if (typed) settings.s3.credentials = 'keys'
    const uri =
      request.s3Uri ?? (settings.sourceUri || (settings.s3.bucket ? `s3://${settings.s3.bucket}/` : ''))
    const target = uri ? connectionTarget(uri, request.s3Uri !== undefined) : undefined
    if (!target) {
      return {
        ok: false,
        message: 'Nothing to test yet: set a bucket or an S3 source (s3://bucket/prefix/) first.',
        elapsedMs: 0,
      }
    }
    return testConnection(s3SettingsFrom(settings, credentials, env), target, env)
  }

  // ---- workflows and URLs --------------------------------------------------------------------------
  const urls = createUrlHandlers({
    settings: () => deps.settings.view().settings,
    env,
    gate,
    ...(deps.httpCa ? { ca: deps.httpCa } : {}),
    enqueue: (request) => deps.service.api.enqueue(request),
  })
  const workflowContext = (): WorkflowOpenContext => ({
    settings: deps.settings.view().settings,
    credentials: deps.settings.credentials(),
    env,
    gate,
    keep: urls.keep,
  })

  // ---- handlers -----------------------------------------------------------------------------------
  const api = deps.service.api
  const raw: ApiHandlers = {
    'app:info': async () => {
      let ownerKind = deps.ownerKind
      try {
        ownerKind = (await api.status()).owner?.kind ?? ownerKind
      } catch {
        // The service is away for a moment: this process's own kind is the best answer.
      }
      const desktop = deps.shell === 'electron'
      return {
        version: deps.version,
        shell: deps.shell,
        ownerKind,
        stateDir: deps.paths.dir,
        platform: deps.platform ?? process.platform,
        capabilities: { dialogs: desktop, reveal: desktop, notifications: desktop },
      }
    },
    'downloads:enqueue': async (request) => {
      // A config's URLs go where the window's other URLs may (window-urls.ts), whichever channel asks.
      request.entries.forEach(
        (e, i) => e.url !== undefined && checkWindowUrl(e.url, env, `entries.${i}.url: `),
      )
      return api.enqueue(request)
    },
    'downloads:cancel': (selector) => api.cancel(selector),
    'downloads:pause': (selector) => api.pause(selector),
    'downloads:resume': (selector) => api.resume(selector),
    'downloads:retry': (selector) => api.retry(selector),
    'downloads:move': ({ id, position }) => api.move(id, position),
    'downloads:list': () => api.list(),
    // A window attaching sees records the disk agrees with.
    'downloads:snapshot': async () => {
      await checkDisk()
      return api.snapshot()
    },
    'downloads:status': () => api.status(),
    'config:current': async () => current,
    'config:open': async ({ path }) => openFile(await gate.configPath(path, 'path')),
    'config:load': async ({ name, text }) => adopt(await loadConfigText(name, text, options())),
    'config:openSample': async () => adopt(await loadSampleConfig(deps.sampleConfigPath, options())),
    'config:recent': async () => recent.list(),
    'config:save': async (request) => {
      const path = await gate.configPath(request.path, 'path')
      const { settings } = deps.settings.view()
      const networkVolume = settings.networkVolume || env['NETWORK_VOLUME'] || ''
      const result = await saveModelConfig({ ...request, path }, networkVolume ? { networkVolume } : {})
      await rememberRecent(result.path)
      return result
    },
    'local:stat': async ({ models }) => {
      // Whether a file exists and how large it is: only the models roots' business.
      const limit = pLimit(STAT_GATE_IN_FLIGHT)
      const cache = new PathCache()
      await Promise.all(
        models.map((m, i) => limit(() => gate.modelPath(m.localPath, `models.${i}.localPath`, cache))),
      )
      return statModels(models)
    },
    'settings:get': async () => deps.settings.view(),
    'settings:update': async (patch) => {
      if (patch.modelsRoot !== undefined) {
        const checked = await checkModelsRoot(patch.modelsRoot, { mustExist: true })
        if (!checked.ok) throw new GateError('forbidden', `modelsRoot: ${checked.message}`)
      }
      return deps.settings.update(patch)
    },
    'settings:testConnection': (request) => runTestConnection(request),
    'scan:start': async (request) => startScan(request),
    'scan:cancel': async ({ scanId }) => {
      scans.get(scanId)?.abort(new ScanError('cancelled', 'The scan was cancelled'))
    },
    'workflow:open': (request) => openWorkflowData(request, workflowContext()),
    ...urls.handlers,
    'dialog:openConfig': async () => {
      throw new ApiError('unsupported', `Open dialog: ${DESKTOP_ONLY}`)
    },
    'dialog:openWorkflow': async () => {
      throw new ApiError('unsupported', `Open dialog: ${DESKTOP_ONLY}`)
    },
    'dialog:saveConfigPath': async () => {
      throw new ApiError('unsupported', `Save dialog: ${DESKTOP_ONLY}`)
    },
    'shell:reveal': async () => {
      throw new ApiError('unsupported', `Reveal in folder: ${DESKTOP_ONLY}`)
    },
  }

  // Every request is validated here, and every handler rejects only with ApiError: the doors carry envelopes.
  const handlers = gatedHandlers(raw)

  return {
    handlers,
    onEvent(e) {
      emitters.add(e)
      return () => emitters.delete(e)
    },
    async loadConfigFile(path) {
      gate.allowConfigFolder(dirname(normalize(path)))
      try {
        return await openFile(path)
      } catch (err) {
        throw asApiError(err)
      }
    },
    allowConfigFolder(folder) {
      gate.allowConfigFolder(folder)
    },
    async openWorkflowFile(path) {
      try {
        return await openWorkflowFile(path, workflowContext())
      } catch (err) {
        throw asApiError(err)
      }
    },
    async close() {
      if (closed) return
      closed = true
      for (const controller of scans.values()) controller.abort(new ScanError('cancelled', 'Closing'))
      offSettings()
      unsubscribeService()
      await watching
      await watcher?.close()
      emitters.clear()
    },
  }
}
