// A ComfyUI workflow from a file: the editor's JSON, the API JSON, or a PNG that ComfyUI saved with
// the workflow in its text chunks. Everything that is not one of those fails with a WorkflowError
// that says what the file is and what was expected.
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { MAX_CONFIG_BYTES, MAX_WORKFLOW_FILE_BYTES } from '../../shared/limits'
import type { WorkflowModel, WorkflowResolution } from '../../shared/workflow'
import { describeJsonError, locateJsonError, positionAt } from '../config/json-position'
import { isPng, readPngText } from './png-text'
import { WorkflowError } from './workflow-error'
import { workflowModels, workflowShape } from './workflow-models'

/** A PNG holds the image as well: generous, yet a bound on what is read into memory (src/shared/limits). */
export { MAX_WORKFLOW_FILE_BYTES }
/** The JSON itself, from a file or a chunk: the model config's limit (a large template is < 1 MiB). */
export const MAX_WORKFLOW_JSON_BYTES = MAX_CONFIG_BYTES

export interface ReadWorkflow {
  format: WorkflowResolution['format']
  container: WorkflowResolution['container']
  models: WorkflowModel[]
}

/** Reads and parses a workflow file; rejects with a WorkflowError naming `path`. */
export async function readWorkflowFile(path: string): Promise<ReadWorkflow> {
  const bytes = await readBounded(path)
  try {
    return parseWorkflowBytes(bytes)
  } catch (err) {
    if (err instanceof WorkflowError) throw new WorkflowError(err.code, `${path}: ${err.message}`)
    throw err
  }
}

/**
 * A workflow from a file's bytes (a PNG or JSON text), as readWorkflowFile reads it. The size bound
 * applies here too: bytes handed over by a window never went through readBounded.
 */
export function parseWorkflowBytes(bytes: Buffer): ReadWorkflow {
  if (bytes.length > MAX_WORKFLOW_FILE_BYTES) throw tooLarge('file', bytes.length, MAX_WORKFLOW_FILE_BYTES)
  if (isPng(bytes)) return fromPng(bytes)
  if (bytes.length > MAX_WORKFLOW_JSON_BYTES) throw tooLarge('JSON', bytes.length, MAX_WORKFLOW_JSON_BYTES)
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '')
  const first = /\S/.exec(text)?.[0]
  if (first !== '{' && first !== '[') {
    throw new WorkflowError(
      'not_a_workflow',
      first === undefined
        ? 'the file is empty; expected a ComfyUI workflow (.json) or a PNG that carries one'
        : 'neither a ComfyUI workflow (.json) nor a PNG that carries one',
    )
  }
  return fromJson(text, 'json')
}

function fromPng(bytes: Buffer): ReadWorkflow {
  const text = readPngText(bytes, ['workflow', 'prompt'])
  const graph = text.get('workflow')
  const prompt = text.get('prompt')
  if (graph === undefined && prompt === undefined) {
    throw new WorkflowError(
      'no_workflow_in_png',
      'a PNG without a ComfyUI workflow: it has no "workflow" or "prompt" text chunk (saved with ' +
        'metadata off, or re-encoded by another program?)',
    )
  }
  // The editor's graph carries the models' URLs; the prompt is the fallback when it is unusable.
  if (graph !== undefined) {
    try {
      return fromJson(graph, 'png:workflow')
    } catch (err) {
      if (prompt === undefined || !(err instanceof WorkflowError)) throw err
    }
  }
  return fromJson(prompt!, 'png:prompt')
}

function fromJson(text: string, container: ReadWorkflow['container']): ReadWorkflow {
  const where = container === 'json' ? '' : ` in the PNG's "${container.slice(4)}" chunk`
  if (text.length > MAX_WORKFLOW_JSON_BYTES)
    throw tooLarge(`JSON${where}`, text.length, MAX_WORKFLOW_JSON_BYTES)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    const at = locateJsonError(text, err)
    const position = at ? ` at line ${at.line}, column ${at.column}` : ''
    // V8 words a cut-off text many ways ("Unexpected end", "Expected double-quoted property name"…):
    // what tells is that it gave up where the text ends.
    const end = positionAt(text, text.trimEnd().length)
    const atEnd =
      at !== undefined && (at.line > end.line || (at.line === end.line && at.column >= end.column))
    const truncated =
      atEnd || /end of JSON|Unterminated/i.test(err.message) ? ' (the file looks cut short)' : ''
    throw new WorkflowError(
      'bad_json',
      `not valid JSON${where}${position}: ${describeJsonError(err)}${truncated}`,
    )
  }
  const shape = workflowShape(json)
  if (!shape) {
    const hint = looksLikeModelConfig(json) ? ' This looks like a model config: use modeldl download.' : ''
    throw new WorkflowError(
      'not_a_workflow',
      `JSON${where}, but not a ComfyUI workflow: expected "nodes" (the editor's format) or ` +
        `{"<id>": {"class_type", "inputs"}} (the API format).${hint}`,
    )
  }
  return { format: shape.format, container, models: workflowModels(shape) }
}

function looksLikeModelConfig(json: unknown): boolean {
  const first = Array.isArray(json) ? json[0] : undefined
  return typeof first === 'object' && first !== null && 'originalS3Path' in first
}

function tooLarge(what: string, size: number, limit: number): WorkflowError {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`
  return new WorkflowError(
    'too_large',
    `the ${what} is too large (${mib(size)}); a workflow may be at most ${mib(limit)}`,
  )
}

/**
 * The file's bytes, refused before reading when it is not a regular file or is over the limit. Opened
 * without blocking (a FIFO with no writer would hang the open); the read stops one byte past the limit,
 * since devices and /proc files report a size of 0.
 */
async function readBounded(path: string): Promise<Buffer> {
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    throw unreadable(path, err)
  }
  try {
    const st = await handle.stat()
    if (st.isDirectory()) throw new WorkflowError('unreadable', `${path} is a folder, not a workflow file`)
    if (!st.isFile()) throw new WorkflowError('unreadable', `${path} is not a regular file`)
    if (st.size > MAX_WORKFLOW_FILE_BYTES) {
      throw new WorkflowError(
        'too_large',
        `${path}: ${tooLarge('file', st.size, MAX_WORKFLOW_FILE_BYTES).message}`,
      )
    }
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, MAX_WORKFLOW_FILE_BYTES + 1 - total))
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > MAX_WORKFLOW_FILE_BYTES) {
        throw new WorkflowError('too_large', `${path}: more than ${MAX_WORKFLOW_FILE_BYTES} bytes when read`)
      }
    }
    return Buffer.concat(chunks, total)
  } catch (err) {
    if (err instanceof WorkflowError) throw err
    throw unreadable(path, err)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

function unreadable(path: string, err: unknown): WorkflowError {
  const code = (err as NodeJS.ErrnoException).code
  const why =
    code === 'ENOENT'
      ? 'file not found'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : `cannot be read (${code ?? String(err)})`
  return new WorkflowError('unreadable', `${path}: ${why}`)
}
