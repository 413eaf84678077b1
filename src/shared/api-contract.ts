// The one contract between the window and whoever serves it: Electron main over IPC (through the
// preload) or `modeldl serve --ui` over a WebSocket. Channel names are `domain:verb`; each invoke
// channel has a request and a response type, each event channel a payload type. The renderer sees
// only the derived `Api` interface; main, the preload and the WebSocket server derive theirs from the
// same maps, and test/shared/api-contract.test-d.ts keeps them in step.
import type {
  EnqueueRequest,
  EnqueueResult,
  ModelRecord,
  ModelSelector,
  MovePosition,
  OwnerKind,
  ProgressTick,
  ServiceChange,
  ServiceSnapshot,
  ServiceStatus,
} from './service-contract'
import type { SettingsPatch, SettingsView } from './settings'
import type { UrlDownloadResult, UrlModelInfo, UrlModelRequest } from './url-model'
import type {
  OpenedWorkflow,
  WorkflowDownloadRequest,
  WorkflowDownloadResult,
  WorkflowFileRequest,
} from './workflow'

// ---- data that crosses ------------------------------------------------------------------------

/** A model from a loaded config or a scanned source, as the window shows it. */
export interface ModelInfo {
  /** The absolute local path: the same id as the service's ModelRecord for this file. */
  id: string
  /** `group/modelKey` in the config (or `group/relative path` for a scanned object). */
  entryId: string
  group: string
  modelName: string
  /** Its S3 object or its https URL: exactly one of the two. */
  s3Uri?: string
  url?: string
  localPath: string
  expectedSize: number
  sha256?: string
  /** This path becomes a link to that one (the old system's symLinkedFrom). */
  symLinkedFrom?: string
}

/** What is on disk at a model's path, from stat (never by reading the file). */
export type LocalFileState =
  | 'installed'
  | 'missing'
  /** A `.part` file is there: resumable. */
  | 'partial'
  /** A file of another size is there. */
  | 'wrong_size'
  /** A directory or something else that is not a file. */
  | 'not_a_file'
  | 'broken_link'

export interface LocalInfo {
  state: LocalFileState
  /** Size on disk (wrong_size) or resumable bytes (partial). */
  bytes?: number
}

/** One problem in a model config, precise enough to fix: entry `group/key` or `[index]`, then field. */
export interface ConfigIssueInfo {
  entry: string
  field: string
  message: string
}

export type ConfigSource =
  | { kind: 'file'; path: string }
  /** Text handed over by the window (drag-and-drop, file input in a browser). */
  | { kind: 'text'; name: string }
  /** The sample config shipped with the app. */
  | { kind: 'sample' }

export interface LoadedConfig {
  source: ConfigSource
  format: 'nested' | 'flat'
  models: ModelInfo[]
  /** By model id. */
  local: Record<string, LocalInfo>
  /** The S3 buckets and prefixes the config points at, for the source bar. */
  sources: string[]
  loadedAt: string
}

export type ConfigLoadResult =
  { ok: true; config: LoadedConfig } | { ok: false; message: string; issues: ConfigIssueInfo[] }

export interface ScanRequest {
  /** `s3://bucket/prefix/` */
  uri: string
  /** List every object, not only model file types. */
  allTypes?: boolean
}

/** A model found by a scan: a model plus what the listing and the disk say. */
export interface ScannedModel extends ModelInfo {
  lastModified: string
  etag?: string
  /** The store also has `<key>.tar.zst`. */
  hasCompressedSibling: boolean
  local: LocalInfo
}

/** Scans stream: one event per listed page, then one with `done`. */
export interface ScanProgress {
  scanId: string
  uri: string
  /** Models from this page only. */
  models: ScannedModel[]
  /** Folder prefixes seen so far under the source (the tree). */
  folders: string[]
  /** Objects listed so far (all types). */
  listed: number
  done: boolean
  /** Set when the scan failed; `done` is then true. `code` e.g. 'access_denied', 'not_found'. */
  error?: { code: string; message: string }
}

export interface SaveConfigRequest {
  /** Absolute path of the config file to write. */
  path: string
  /** 'new' replaces the file; 'merge' adds to it, keeping its other entries and unknown fields. */
  mode: 'new' | 'merge'
  models: ModelInfo[]
}

export interface SaveConfigResult {
  path: string
  /** Entries written by this request (added or updated). */
  written: number
  /** Entries that were already in the file and kept. */
  kept: number
}

export interface TestConnectionRequest {
  /** Test these settings instead of the saved ones (unsaved form values). */
  draft?: SettingsPatch
  /** HEAD this object; without it, list the bucket of the source. */
  s3Uri?: string
}

export interface TestConnectionResult {
  ok: boolean
  /** What happened and what to do, e.g. "Access denied by the bucket: check the AWS profile". */
  message: string
  /** Milliseconds the request took. */
  elapsedMs: number
}

export interface AppInfo {
  version: string
  /** Where the window runs. */
  shell: 'electron' | 'browser'
  ownerKind: OwnerKind
  stateDir: string
  platform: string
  capabilities: {
    /** Native open/save dialogs (dialog:* channels). */
    dialogs: boolean
    /** shell:reveal */
    reveal: boolean
    /** OS notifications (the setting is then meaningful). */
    notifications: boolean
  }
}

/** Errors every invoke can reject with; `message` says what happened and what to do. */
export type ApiErrorCode =
  'bad_request' | 'forbidden' | 'not_found' | 'unavailable' | 'unsupported' | 'internal'

export interface ApiErrorShape {
  code: ApiErrorCode
  message: string
}

/** How every invoke answers across a process boundary: the preload and the WebSocket client unwrap it. */
export type ApiEnvelope<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape }

// ---- the channels -----------------------------------------------------------------------------

/** Invoke channels: [request, response]. `void` requests take no argument. */
export interface InvokeContract {
  'app:info': [void, AppInfo]
  'downloads:enqueue': [EnqueueRequest, EnqueueResult]
  'downloads:cancel': [ModelSelector, string[]]
  'downloads:pause': [ModelSelector, string[]]
  'downloads:resume': [ModelSelector, string[]]
  'downloads:retry': [ModelSelector, string[]]
  'downloads:move': [{ id: string; position: MovePosition }, void]
  'downloads:list': [void, ModelRecord[]]
  /** Records, queue order and summaries at one revision: a window starts here, and again after a gap. */
  'downloads:snapshot': [void, ServiceSnapshot]
  'downloads:status': [void, ServiceStatus]
  /** The config the window last loaded (kept by the owner, so a reload or a second window sees it). */
  'config:current': [void, LoadedConfig | null]
  'config:open': [{ path: string }, ConfigLoadResult]
  'config:load': [{ name: string; text: string }, ConfigLoadResult]
  'config:openSample': [void, ConfigLoadResult]
  'config:recent': [void, string[]]
  'config:save': [SaveConfigRequest, SaveConfigResult]
  /** Local state of these model paths now (stat only). */
  'local:stat': [{ models: Array<{ localPath: string; expectedSize: number }> }, Record<string, LocalInfo>]
  'settings:get': [void, SettingsView]
  'settings:update': [SettingsPatch, SettingsView]
  'settings:testConnection': [TestConnectionRequest, TestConnectionResult]
  'scan:start': [ScanRequest, { scanId: string }]
  'scan:cancel': [{ scanId: string }, void]
  /** A ComfyUI workflow (.json or .png) from its bytes: its models, each installed, in S3, at a URL or not found. */
  'workflow:open': [WorkflowFileRequest, OpenedWorkflow]
  /** Queues rows of an opened workflow (S3 and URL ones alike); says why each other row was not queued. */
  'workflow:download': [WorkflowDownloadRequest, WorkflowDownloadResult]
  /** One model at a URL: its name and size from the host, and where it would land. Nothing is queued. */
  'url:lookup': [UrlModelRequest, UrlModelInfo]
  /** The same look-up again, then the model is queued. */
  'url:download': [UrlModelRequest, UrlDownloadResult]
  /** Desktop only (capabilities.dialogs): a native file picker; null when the user cancels. */
  'dialog:openConfig': [void, ConfigLoadResult | null]
  /** Desktop only: a native file picker for a workflow; null when the user cancels. */
  'dialog:openWorkflow': [void, OpenedWorkflow | null]
  /** Desktop only: a native save dialog; the chosen path, or null. */
  'dialog:saveConfigPath': [void, string | null]
  /** Desktop only (capabilities.reveal): show a completed model in the file manager. */
  'shell:reveal': [{ id: string }, void]
}

/** Event channels: payload. */
export interface EventContract {
  /** At most 10 per second, whatever the number of jobs (the service's tick is the one limit). */
  'downloads:progress': ProgressTick
  'downloads:changed': ServiceChange
  'settings:changed': SettingsView
  /** Another launch handed over a config, or another window loaded one. */
  'config:changed': LoadedConfig | null
  /** Local state changed on disk (models root watcher, debounced): by model id. */
  'local:changed': Record<string, LocalInfo>
  'scan:progress': ScanProgress
  /** Show this model's row (a notification was clicked). */
  'app:focusModel': { id: string }
}

export type InvokeChannel = keyof InvokeContract
export type EventChannel = keyof EventContract
export type RequestOf<C extends InvokeChannel> = InvokeContract[C][0]
export type ResponseOf<C extends InvokeChannel> = InvokeContract[C][1]

/** Api method name → invoke channel. One function per channel. */
export const INVOKE_METHODS = {
  appInfo: 'app:info',
  enqueue: 'downloads:enqueue',
  cancel: 'downloads:cancel',
  pause: 'downloads:pause',
  resume: 'downloads:resume',
  retry: 'downloads:retry',
  move: 'downloads:move',
  list: 'downloads:list',
  snapshot: 'downloads:snapshot',
  status: 'downloads:status',
  currentConfig: 'config:current',
  openConfig: 'config:open',
  loadConfigText: 'config:load',
  openSampleConfig: 'config:openSample',
  recentConfigs: 'config:recent',
  saveConfig: 'config:save',
  statLocal: 'local:stat',
  getSettings: 'settings:get',
  updateSettings: 'settings:update',
  testConnection: 'settings:testConnection',
  startScan: 'scan:start',
  cancelScan: 'scan:cancel',
  openWorkflow: 'workflow:open',
  downloadWorkflow: 'workflow:download',
  lookUpUrl: 'url:lookup',
  downloadUrl: 'url:download',
  openConfigDialog: 'dialog:openConfig',
  openWorkflowDialog: 'dialog:openWorkflow',
  saveConfigDialog: 'dialog:saveConfigPath',
  reveal: 'shell:reveal',
} as const satisfies Record<string, InvokeChannel>

/** Api method name → event channel. Every `on…` returns an unsubscribe. */
export const EVENT_METHODS = {
  onProgress: 'downloads:progress',
  onChanged: 'downloads:changed',
  onSettingsChanged: 'settings:changed',
  onConfigChanged: 'config:changed',
  onLocalChanged: 'local:changed',
  onScanProgress: 'scan:progress',
  onFocusModel: 'app:focusModel',
} as const satisfies Record<string, EventChannel>

export const INVOKE_CHANNELS = Object.values(INVOKE_METHODS) as InvokeChannel[]
export const EVENT_CHANNELS = Object.values(EVENT_METHODS) as EventChannel[]

type InvokeFn<C extends InvokeChannel> = [RequestOf<C>] extends [void]
  ? () => Promise<ResponseOf<C>>
  : (request: RequestOf<C>) => Promise<ResponseOf<C>>

export type Unsubscribe = () => void

/** What the renderer talks to: `window.api` in Electron, the WebSocket client in a browser. */
export type Api = {
  readonly [M in keyof typeof INVOKE_METHODS]: InvokeFn<(typeof INVOKE_METHODS)[M]>
} & {
  readonly [M in keyof typeof EVENT_METHODS]: (
    listener: (payload: EventContract[(typeof EVENT_METHODS)[M]]) => void,
  ) => Unsubscribe
}

/** What a server of the contract implements: one handler per invoke channel. */
export type ApiHandlers = {
  [C in InvokeChannel]: (request: RequestOf<C>) => Promise<ResponseOf<C>>
}

/** How a server pushes events to its windows. */
export type EmitEvent = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void

/** An invoke that failed on the other side, rebuilt on this side with its code. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** Unwraps an envelope: the result, or an ApiError carrying the other side's code and message. */
export function unwrapEnvelope<T>(envelope: ApiEnvelope<T>): T {
  if (envelope.ok) return envelope.result
  throw new ApiError(envelope.error.code, envelope.error.message)
}

const API_ERROR_CODES: readonly ApiErrorCode[] = [
  'bad_request',
  'forbidden',
  'not_found',
  'unavailable',
  'unsupported',
  'internal',
]

/**
 * Any rejection of an Api call as an ApiError. Electron's context bridge copies an Error with its
 * message only, so the preload rejects with a plain `{ name: 'ApiError', code, message }` object:
 * this rebuilds the ApiError from it (an unknown code, or no code at all, becomes `internal`).
 */
export function rejectionToApiError(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason
  if (typeof reason === 'object' && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown }
    if (typeof message === 'string') {
      const known = API_ERROR_CODES.find((c) => c === code)
      return new ApiError(known ?? 'internal', message)
    }
  }
  return new ApiError('internal', String(reason))
}
