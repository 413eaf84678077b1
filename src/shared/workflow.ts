// What a ComfyUI workflow needs, and where each model can come from. Shared so that the CLI's table,
// its JSON and a window showing the same table speak of one shape, and queue and save the same models.
import type { ModelInfo } from './api-contract'
import type { EnqueueEntry, EnqueueResult } from './service-contract'

/** The folder of a model whose loader node this project does not know. */
export const UNKNOWN_FOLDER = 'unknown'

/** ComfyUI's two workflow formats: the editor's graph, or the prompt queued to the server. */
export type WorkflowFormat = 'ui' | 'api'

/** A node of the workflow that asks for a model. */
export interface WorkflowNodeRef {
  id: string
  type: string
}

/** One model file a workflow asks for. */
export interface WorkflowModel {
  /** As the loader names it, '/'-separated, subfolders kept: `sdxl/detail.safetensors`. */
  name: string
  /** The ComfyUI model folder (`loras`, `text_encoders`…), or UNKNOWN_FOLDER. */
  folder: string
  /** The nodes that load it; none when only a `models` list names it. */
  nodes: WorkflowNodeRef[]
  /** Where the workflow says it can be downloaded (http or https only). */
  url?: string
  /** Lower-case hex, when the workflow carries a SHA-256 for it. */
  sha256?: string
  /** Why it can never be fetched (a name that would leave the models folder); set, it is not_found. */
  problem?: string
  /** Worth telling the user: how it was matched, what stands on disk, what was ignored and why. */
  notes: string[]
}

/** Where a model is, as far as this machine can tell. */
export type WorkflowModelState = 'installed' | 's3' | 'url' | 'not_found'

export interface ResolvedWorkflowModel extends WorkflowModel {
  state: WorkflowModelState
  /** Bytes: of the file on disk when installed, else of the S3 object; absent when unknown. */
  size?: number
  /** Where it lands (or stands) locally; absent when neither the folder nor a source says. */
  localPath?: string
  /** The matching object in the S3 source, whatever the state. */
  s3Uri?: string
  /** How the S3 object was matched: by folder and file name, or by file name alone. */
  s3Match?: 'folder' | 'name'
}

export interface WorkflowResolution {
  format: WorkflowFormat
  /** 'png' when the workflow came from a PNG's text chunk (and which one). */
  container: 'json' | 'png:workflow' | 'png:prompt'
  /** The S3 source listed, if any. */
  s3Source?: string
  models: ResolvedWorkflowModel[]
}

/** A workflow as the window opened it: the resolution, and what kept the S3 source out of it. */
export interface OpenedWorkflow extends WorkflowResolution {
  /** The file's name (no folders), as the user picked or dropped it. */
  name: string
  /** Why the S3 source could not be listed: the models were resolved against the disk and URLs only. */
  s3Problem?: string
  /**
   * The service keeps this workflow's resolution, URLs unmasked, under this id (the few most recently
   * opened): workflow:download names it, so tokens in URLs never have to come back from a window.
   */
  workflowId: string
}

/**
 * "Download missing" for an opened workflow: its id and the rows to fetch, by workflowModelKey
 * (`folder/name`: every row has one, even a model with no place on disk, and it is what the user reads).
 */
export interface WorkflowDownloadRequest {
  workflowId: string
  names: string[]
}

export interface WorkflowDownloadResult {
  /** What the service's enqueue said of the models that could be queued; null when none could. */
  enqueued: EnqueueResult | null
  /** The rows that were not queued, each with why (a URL that does not answer, not found, installed…). */
  notQueued: Array<{ name: string; reason: string }>
}

/** A workflow row's key in workflow:download: its folder and its name as the loader names it. */
export function workflowModelKey(m: Pick<WorkflowModel, 'folder' | 'name'>): string {
  return `${m.folder}/${m.name}`
}

/** A workflow file handed over by a window: a browser has its bytes, never its path. */
export interface WorkflowFileRequest {
  /** The file's name, for messages. */
  name: string
  /** The file's bytes as base64 (JSON text or a PNG alike). */
  data: string
}

/** The models that can be queued now: found in the S3 source, with a place to land. */
export function isQueueable(m: ResolvedWorkflowModel): boolean {
  return m.state === 's3' && m.s3Uri !== undefined && m.localPath !== undefined && m.size !== undefined
}

/** The models the service can fetch from their URL (its size is looked up when they are queued). */
export function isUrlQueueable(m: ResolvedWorkflowModel): boolean {
  return m.state === 'url' && m.url !== undefined && m.localPath !== undefined
}

/** What the service queues for a model found in the S3 source. */
export function workflowEnqueueEntry(m: ResolvedWorkflowModel): EnqueueEntry {
  return {
    group: m.folder,
    modelName: m.name,
    s3Uri: m.s3Uri!,
    localPath: m.localPath!,
    expectedSize: m.size!,
    ...(m.sha256 ? { sha256: m.sha256 } : {}),
  }
}

/** What the service queues for a model only at a URL, with the size its host gave. */
export function workflowUrlEntry(m: ResolvedWorkflowModel, expectedSize: number): EnqueueEntry {
  return {
    group: m.folder,
    modelName: m.name,
    url: m.url!,
    localPath: m.localPath!,
    expectedSize,
    ...(m.sha256 ? { sha256: m.sha256 } : {}),
  }
}

/**
 * The models found in S3 (installed or not), as config entries another machine can fetch them with.
 * An installed model matched by file name alone may be another file than the object: left out.
 */
export function workflowConfigModels(models: readonly ResolvedWorkflowModel[]): ModelInfo[] {
  return models
    .filter(
      (m) =>
        m.s3Uri && m.localPath && (m.state === 's3' || (m.state === 'installed' && m.s3Match === 'folder')),
    )
    .map((m) => ({ id: m.localPath!, entryId: workflowModelKey(m), ...workflowEnqueueEntry(m) }))
}
