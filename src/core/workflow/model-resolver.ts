// Where each model a workflow needs can come from: already installed (a file of that name in its folder
// under the models root), the configured S3 source (matched by folder and file name, else by file name
// alone, with a note), the URL the workflow gives, or nowhere. The disk is judged by the same
// install-state rules as `download missing`, and every local path passes the same gate as a download.
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ScannedModel } from '../../shared/api-contract'
import {
  UNKNOWN_FOLDER,
  type ResolvedWorkflowModel,
  type WorkflowModel,
  type WorkflowModelState,
} from '../../shared/workflow'
import { substituteNetworkVolume } from '../config/placeholders'
import { checkModelsRoot } from '../gate/models-root'
import { GateError, type PathGate } from '../gate/path-gate'
import { localState } from '../service/local/install-state'
import { formatBytes } from '../transfer/preflight'
import { foldersFor } from './loader-folders'

export interface ResolveOptions {
  /** Where the folders are (settings.modelsRoot; may use {{NETWORK_VOLUME}}). */
  modelsRoot: string
  networkVolume?: string
  /** The models roots' gate: a path it refuses is never offered for download. */
  gate: PathGate
  /** The S3 source's listing (scanSource), when one is configured. */
  listing?: readonly ScannedModel[]
  /** Which source a model found in both is fetched from. */
  prefer: 's3' | 'url'
}

/** Folders of the models root looked into for a model whose folder is unknown; more are not searched. */
const MAX_FOLDERS_SEARCHED = 256

export async function resolveWorkflowModels(
  models: readonly WorkflowModel[],
  options: ResolveOptions,
): Promise<ResolvedWorkflowModel[]> {
  const root = await modelsRootOf(options)
  const index = new ListingIndex(options.listing ?? [])
  let topFolders: Promise<string[]> | undefined
  const folders = () => (topFolders ??= foldersOf(root))
  const out: ResolvedWorkflowModel[] = []
  for (const model of models) out.push(await resolveOne(model, { root, index, folders, options }))
  return out
}

interface Context {
  root: string
  index: ListingIndex
  folders: () => Promise<string[]>
  options: ResolveOptions
}

async function resolveOne(model: WorkflowModel, ctx: Context): Promise<ResolvedWorkflowModel> {
  const resolved: ResolvedWorkflowModel = {
    ...model,
    nodes: [...model.nodes],
    notes: [...model.notes],
    state: 'not_found',
  }
  if (model.problem) {
    resolved.notes.push(model.problem)
    return resolved
  }
  const known = model.folder !== UNKNOWN_FOLDER
  const match = ctx.index.find(model)
  if (match) {
    resolved.s3Uri = match.object.s3Uri
    resolved.s3Match = match.by
    if (match.by === 'name') {
      const others = match.count > 1 ? ` (${match.count} objects have this file name; took this one)` : ''
      resolved.notes.push(`matched by file name alone: ${match.object.s3Uri}${others}`)
    }
  }
  const size = match?.object.expectedSize
  // A file of another size where a same-folder object would go is a truncated or other version; an
  // object matched by name alone may be another file entirely, so the file the workflow names counts.
  const expected = match?.by === 'folder' ? size : undefined

  // Where ComfyUI looks: the folder (and its old name), or, when the folder is unknown, any folder.
  const places = known
    ? foldersFor(model.folder).map((folder) => join(ctx.root, folder, ...model.name.split('/')))
    : (await ctx.folders()).map((folder) => join(ctx.root, folder, ...model.name.split('/')))
  for (const [i, place] of places.entries()) {
    // Without an expected size any regular file counts: -1 is a size no file has.
    const state = await localState(place, expected ?? -1)
    if (state.kind === 'installed' || (state.kind === 'wrong_size' && expected === undefined)) {
      resolved.state = 'installed'
      resolved.localPath = place
      resolved.size = state.kind === 'wrong_size' ? state.size : expected!
      if (!known) {
        resolved.folder = (await ctx.folders())[i]!
        resolved.notes.push(`the workflow does not say its folder; found in ${resolved.folder}`)
      }
      return resolved
    }
    if (state.kind === 'wrong_size') {
      resolved.notes.push(
        `${place} is ${formatBytes(state.size)}, the S3 copy ${formatBytes(size!)}: it is replaced`,
      )
    } else if (state.kind === 'partial') {
      resolved.notes.push(`a partial download of ${formatBytes(state.bytes)} is at ${place}: it resumes`)
    } else if (state.kind === 'not_a_file' || state.kind === 'broken_link') {
      resolved.notes.push(`${place} is ${state.kind === 'broken_link' ? 'a broken link' : 'not a file'}`)
    }
  }

  const target = known ? join(ctx.root, model.folder, ...model.name.split('/')) : match?.object.localPath
  if (!known && match) {
    resolved.folder = match.object.group
    resolved.notes.push(`the workflow does not say its folder; the S3 source keeps it in ${resolved.folder}`)
  }
  if (target !== undefined) {
    try {
      resolved.localPath = (await ctx.options.gate.modelPath(target, model.name)).path
    } catch (err) {
      if (!(err instanceof GateError)) throw err
      resolved.notes.push(`never downloaded: ${err.message}`)
      return resolved
    }
  }
  const available: WorkflowModelState[] = []
  if (match && resolved.localPath) available.push('s3')
  if (model.url) available.push('url')
  if (ctx.options.prefer === 'url') available.reverse()
  const state = available[0]
  if (state === undefined) return resolved
  resolved.state = state
  if (state === 's3') resolved.size = size!
  if (!resolved.localPath && state === 'url')
    resolved.notes.push('the folder is unknown: the URL has nowhere to go')
  return resolved
}

async function modelsRootOf(options: ResolveOptions): Promise<string> {
  const substituted = substituteNetworkVolume(options.modelsRoot, options.networkVolume || undefined)
  if (!substituted.ok)
    throw new GateError('bad_request', `The models root ${options.modelsRoot}: ${substituted.message}`)
  const checked = await checkModelsRoot(substituted.value, { mustExist: false })
  if (!checked.ok) throw new GateError('forbidden', checked.message)
  return checked.root.lexical
}

/** The models root's folders, sorted; none when it does not exist yet. */
async function foldersOf(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true })
    return entries
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort()
      .slice(0, MAX_FOLDERS_SEARCHED)
  } catch {
    return []
  }
}

interface ListingMatch {
  object: ScannedModel
  by: 'folder' | 'name'
  /** Objects with this file name, when matched by name. */
  count: number
}

/** The listing by `group/path` and by file name, so each model is one lookup. */
class ListingIndex {
  private readonly byPath = new Map<string, ScannedModel>()
  private readonly byName = new Map<string, ScannedModel[]>()

  constructor(listing: readonly ScannedModel[]) {
    for (const object of listing) {
      this.byPath.set(object.entryId, object)
      const name = object.modelName
      const same = this.byName.get(name)
      if (same) same.push(object)
      else this.byName.set(name, [object])
    }
  }

  find(model: WorkflowModel): ListingMatch | undefined {
    const folders = model.folder === UNKNOWN_FOLDER ? [] : foldersFor(model.folder)
    for (const folder of folders) {
      const object = this.byPath.get(`${folder}/${model.name}`)
      if (object) return { object, by: 'folder', count: 1 }
    }
    const same = this.byName.get(basename(model.name)) ?? []
    if (same.length === 0) return undefined
    // The best of the rest: the same path under another folder, then anything in the right folder.
    const pathInGroup = (o: ScannedModel) => o.entryId.slice(o.group.length + 1)
    const object =
      same.find((o) => pathInGroup(o) === model.name) ??
      same.find((o) => folders.includes(o.group)) ??
      same[0]!
    return { object, by: 'name', count: same.length }
  }
}
