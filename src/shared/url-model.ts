// One model typed as a URL in the window: what it asks the service (url:lookup, url:download) and what
// comes back. The service looks the URL up itself, so the name and size are the host's, never typed.
import type { EnqueueResult } from './service-contract'

/**
 * ComfyUI's model folders, for the window's folder field (the loader table in
 * src/core/workflow/loader-folders.ts names a subset; test/core/workflow keeps them in step). A user
 * may type another folder under the models root, subfolders included (`sdxl/loras`).
 */
export const COMFY_MODEL_FOLDERS = [
  'checkpoints',
  'loras',
  'vae',
  'diffusion_models',
  'text_encoders',
  'clip_vision',
  'controlnet',
  'upscale_models',
  'embeddings',
  'style_models',
  'gligen',
  'hypernetworks',
  'photomaker',
] as const

export const DEFAULT_URL_FOLDER = 'checkpoints'

export interface UrlModelRequest {
  /** An https URL (Hugging Face, CivitAI, any https host). */
  url: string
  /** A folder under the models root, '/'-separated: `loras`, `sdxl/loras`. */
  folder: string
}

/** What the host says of the URL, and where the file lands. */
export interface UrlModelInfo {
  /** The file name: Content-Disposition, else the URL path's last segment. */
  name: string
  /** Bytes. */
  size: number
  localPath: string
  /** The URL as it may be shown: tokens in it masked. */
  url: string
}

export interface UrlDownloadResult extends UrlModelInfo {
  enqueued: EnqueueResult
}
