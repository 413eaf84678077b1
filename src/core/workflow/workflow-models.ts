// The model files a parsed workflow asks for, in either of ComfyUI's formats: loader nodes through the
// loader table, the `models` lists template workflows carry (per node in `properties.models`, or at the
// top), and any other node's value that looks like a model file (listed with an unknown folder).
import { MAX_NAME_CHARS } from '../../shared/limits'
import { UNKNOWN_FOLDER, type WorkflowFormat, type WorkflowModel } from '../../shared/workflow'
import { LOADER_FOLDERS, looksLikeModelFile } from './loader-folders'
import { printableUrl } from '../url/printable-url'
import { WorkflowError } from './workflow-error'

/** Far above any real workflow (a large template loads a dozen models). */
export const MAX_WORKFLOW_MODELS = 2_000

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Which format this JSON is in, and the part that holds its nodes; null when it is neither. */
export function workflowShape(json: unknown): { format: WorkflowFormat; root: Json } | null {
  if (!isObject(json)) return null
  if (Array.isArray(json['nodes'])) return { format: 'ui', root: json }
  // The body POSTed to ComfyUI's /prompt: the graph rides along in extra_data when the editor sent it.
  const extra = isObject(json['extra_data']) ? json['extra_data']['extra_pnginfo'] : undefined
  if (isObject(extra) && isObject(extra['workflow']) && Array.isArray(extra['workflow']['nodes'])) {
    return { format: 'ui', root: extra['workflow'] }
  }
  const prompt = isObject(json['prompt']) ? json['prompt'] : json
  const nodes = Object.values(prompt)
  if (nodes.length > 0 && nodes.every((n) => isObject(n) && typeof n['class_type'] === 'string')) {
    return { format: 'api', root: prompt }
  }
  return null
}

/** The models of a workflow in the given shape, each once (by folder and name), in order of first mention. */
export function workflowModels(shape: { format: WorkflowFormat; root: Json }): WorkflowModel[] {
  const found = new Collected()
  if (shape.format === 'api') {
    for (const [id, node] of Object.entries(shape.root)) {
      if (!isObject(node)) continue
      const inputs = isObject(node['inputs']) ? node['inputs'] : {}
      fromNode(found, { id, type: String(node['class_type']) }, (input) => inputs[input.name], inputs)
    }
    return found.models()
  }
  for (const node of uiNodes(shape.root)) {
    const ref = { id: String(node['id'] ?? '?'), type: typeof node['type'] === 'string' ? node['type'] : '?' }
    const values = node['widgets_values']
    fromNode(
      found,
      ref,
      (input) =>
        Array.isArray(values) ? values[input.widget] : isObject(values) ? values[input.name] : undefined,
      Array.isArray(values) || isObject(values) ? values : {},
    )
    const properties = isObject(node['properties']) ? node['properties'] : {}
    fromModelList(found, properties['models'], ref)
  }
  fromModelList(found, shape.root['models'], undefined)
  return found.models()
}

/** The graph's nodes and those of its subgraphs (ComfyUI keeps those under definitions.subgraphs). */
function uiNodes(root: Json): Json[] {
  const nodes = (root['nodes'] as unknown[]).filter(isObject)
  const definitions = isObject(root['definitions']) ? root['definitions'] : {}
  const subgraphs = Array.isArray(definitions['subgraphs']) ? definitions['subgraphs'] : []
  for (const graph of subgraphs) {
    if (isObject(graph) && Array.isArray(graph['nodes'])) nodes.push(...graph['nodes'].filter(isObject))
  }
  return nodes
}

function fromNode(
  found: Collected,
  ref: { id: string; type: string },
  valueOf: (input: { name: string; widget: number }) => unknown,
  all: Json | unknown[],
): void {
  const loader = LOADER_FOLDERS[ref.type]
  if (loader) {
    for (const input of loader) {
      const value = valueOf({ name: input.input, widget: input.widget })
      if (typeof value === 'string' && value !== '' && value !== 'None') found.add(value, input.folder, ref)
    }
    return
  }
  for (const value of Object.values(all)) {
    if (typeof value === 'string' && looksLikeModelFile(value)) found.add(value, UNKNOWN_FOLDER, ref)
  }
}

/** `[{name, url, directory, hash?, hash_type?}]`, as ComfyUI's templates carry them. */
function fromModelList(found: Collected, list: unknown, ref: { id: string; type: string } | undefined): void {
  if (!Array.isArray(list)) return
  for (const item of list) {
    if (!isObject(item) || typeof item['name'] !== 'string' || item['name'] === '') continue
    const folder =
      typeof item['directory'] === 'string' && item['directory'] !== '' ? item['directory'] : UNKNOWN_FOLDER
    const model = found.add(item['name'], folder, ref)
    const url = item['url']
    if (typeof url === 'string' && url !== '' && !model.url) {
      if (/^https?:\/\//i.test(url)) model.url = url
      else model.notes.push(`its url is not http(s) and is ignored: ${printableUrl(url.slice(0, 200))}`)
    }
    const hash = item['hash']
    const type = typeof item['hash_type'] === 'string' ? item['hash_type'].toLowerCase() : 'sha256'
    if (typeof hash === 'string' && type === 'sha256' && /^[0-9a-f]{64}$/i.test(hash)) {
      model.sha256 ??= hash.toLowerCase()
    }
  }
}

/** A name or folder from the workflow as a path under the models root, or why it cannot be one. */
export function safeRelativePath(text: string): { ok: true; path: string } | { ok: false; why: string } {
  // ComfyUI on Windows writes subfolders with backslashes: `sdxl\detail.safetensors`.
  const path = text.replace(/\\/g, '/')
  if (path.length > MAX_NAME_CHARS) return { ok: false, why: `is longer than ${MAX_NAME_CHARS} characters` }
  const segments = path.split('/')
  // Empty, `.` and `..` segments move; a colon names a drive or a stream on Windows; controls hide.
  const bad = segments.find((s) => s === '' || s === '.' || s === '..' || s.includes(':') || hasControl(s))
  if (bad !== undefined)
    return { ok: false, why: 'is not a plain relative path (an absolute path, "..", or a control character)' }
  return { ok: true, path }
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

class Collected {
  private readonly byKey = new Map<string, WorkflowModel>()

  add(rawName: string, rawFolder: string, ref: { id: string; type: string } | undefined): WorkflowModel {
    const name = safeRelativePath(rawName)
    const folder = safeRelativePath(rawFolder)
    const key = `${folder.ok ? folder.path : rawFolder}\0${name.ok ? name.path : rawName}`
    let model = this.byKey.get(key)
    if (!model) {
      if (this.byKey.size >= MAX_WORKFLOW_MODELS) {
        throw new WorkflowError('too_large', `the workflow names more than ${MAX_WORKFLOW_MODELS} models`)
      }
      model = {
        name: name.ok ? name.path : rawName,
        folder: folder.ok ? folder.path : rawFolder,
        nodes: [],
        notes: [],
      }
      if (!name.ok) model.problem = `the name ${name.why}; it is never fetched`
      else if (!folder.ok) model.problem = `the folder ${folder.why}; it is never fetched`
      this.byKey.set(key, model)
    }
    if (ref && !model.nodes.some((n) => n.id === ref.id && n.type === ref.type)) model.nodes.push(ref)
    return model
  }

  /**
   * A custom loader's value (unknown folder) that a `models` list or a known loader also names is that
   * model: one row, in the folder that is known, where the model was first mentioned.
   */
  models(): WorkflowModel[] {
    const all = [...this.byKey.values()]
    const knownByName = new Map<string, WorkflowModel>()
    for (const m of all)
      if (m.folder !== UNKNOWN_FOLDER && !knownByName.has(m.name)) knownByName.set(m.name, m)
    const rows: WorkflowModel[] = []
    const placed = new Set<WorkflowModel>()
    for (const m of all) {
      const twin = m.folder === UNKNOWN_FOLDER ? knownByName.get(m.name) : undefined
      if (twin) {
        twin.nodes = [...m.nodes, ...twin.nodes.filter((n) => !m.nodes.some((o) => o.id === n.id))]
        if (!twin.url && m.url) twin.url = m.url
        twin.notes.push(...m.notes)
      }
      const row = twin ?? m
      if (!placed.has(row)) {
        placed.add(row)
        rows.push(row)
      }
    }
    return rows
  }
}
