// What a ComfyUI workflow needs, and where each model can come from. Shared so that the CLI's table,
// its JSON and a window showing the same table speak of one shape.

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
