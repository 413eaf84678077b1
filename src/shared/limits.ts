// How large a request may be, whichever door it comes through (CLI, local socket, Electron IPC,
// WebSocket). One table, so the README's security section, the schemas and the checks agree. The
// checks themselves live in core (src/core/gate); the doors only refuse earlier what core would refuse.

const MiB = 1024 * 1024

/** A model config file or dropped text: far beyond a real model list (the sample is 5 KB). */
export const MAX_CONFIG_BYTES = 20 * MiB
/** Entries in one config, one enqueue, one save or one stat request. */
export const MAX_CONFIG_ENTRIES = 50_000
/** Linux's PATH_MAX. */
export const MAX_PATH_BYTES = 4096
/** Group, model and file names as the window and the CLI show them. */
export const MAX_NAME_CHARS = 1024
/** An S3 key is at most 1,024 bytes; with `s3://`, a bucket (≤ 63) and a slash. */
export const MAX_S3_URI_CHARS = 1100
/** A workflow file: a PNG carries the image as well as the workflow, so more than a config. */
export const MAX_WORKFLOW_FILE_BYTES = 64 * MiB
/** The same file as base64, as a window sends it (a browser has no path to hand over). */
export const MAX_WORKFLOW_BASE64_CHARS = 4 * Math.ceil(MAX_WORKFLOW_FILE_BYTES / 3)
/** One WebSocket frame: a config at the limit JSON-escaped, or a workflow as base64, and the envelope. */
export const MAX_WS_FRAME_BYTES = Math.max(2 * MAX_CONFIG_BYTES, MAX_WORKFLOW_BASE64_CHARS) + MiB
/** A download URL: far beyond Hugging Face's or CivitAI's, and a CDN's presigned links. */
export const MAX_URL_CHARS = 4096
/** Rows of one workflow:download request: far beyond a real workflow's models. */
export const MAX_WORKFLOW_DOWNLOAD_NAMES = 1000
/** One row's `folder/name` in it. */
export const MAX_WORKFLOW_KEY_CHARS = 512
/** A folder a URL model goes in, relative to the models root. */
export const MAX_FOLDER_CHARS = 512
/** Invokes one WebSocket client may send per second, on average; a burst of up to this many is fine. */
export const WS_INVOKES_PER_SECOND = 50
export const WS_INVOKE_BURST = 200
