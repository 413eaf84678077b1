import type { LocatedModel } from './formats'
import type { ConfigIssue } from './issues'
import type { ResolvedOptions } from './options'
import { nameTooLong, pathTooLong, s3UriTooLong } from './lengths'
import { checkModelPath } from './path-safety'
import { substituteNetworkVolume } from './placeholders'
import { resolveS3Path } from './s3-path'
import { checkRawModel } from './schema'

/** One model file to fetch, fully resolved and checked. */
export interface ModelEntry {
  /** Stable across loads: `group/modelKey` (nested format) or `directoryGroup/modelName` (flat format). */
  id: string
  group: string
  key: string
  modelName: string
  /** `s3://bucket/key`, or else `url`: exactly one of the two. */
  s3Uri?: string
  /** An https URL (Hugging Face, CivitAI, …) the file is fetched from. */
  url?: string
  /** Absolute and normalized, inside a models root. */
  localPath: string
  expectedSize: number
  /** Lower-case hex. */
  sha256?: string
  /** Absolute and normalized, inside a models root. */
  symLinkedFrom?: string
  /** Ids of other entries that named the very same file and object, merged into this one. */
  aliases: string[]
  /** Fields this loader does not know, kept untouched for whoever does. */
  extra: Record<string, unknown>
}

/** A checked entry and where its files physically land, which is what duplicates are judged by. */
export interface PlacedModel {
  entry: string
  model: ModelEntry
  location: string
}

export type ResolvedModel = { ok: true; placed: PlacedModel } | { ok: false; issues: ConfigIssue[] }

export async function resolveModel(located: LocatedModel, options: ResolvedOptions): Promise<ResolvedModel> {
  const { entry } = located
  const raw = checkRawModel(located.value, entry)
  if (!raw.ok) return raw

  const issues: ConfigIssue[] = []
  const problem = (field: string, message: string) => issues.push({ entry, field, message })

  if (located.naming) {
    const groupLength = nameTooLong(located.naming.group)
    if (groupLength) problem('', `the group name ${groupLength}`)
    const keyLength = nameTooLong(located.naming.key)
    if (keyLength) problem('', `the model key ${keyLength}`)
  }
  for (const field of ['directoryGroup', 'modelName'] as const) {
    const length = nameTooLong(raw.model[field])
    if (length) problem(field, length)
  }
  const s3 =
    raw.model.originalS3Path === undefined
      ? ({ ok: true, value: undefined } as const)
      : resolveS3Path(raw.model.originalS3Path, options.defaultBucket)
  const s3Length = s3.ok && s3.value !== undefined ? s3UriTooLong(s3.value) : undefined
  if (!s3.ok) problem('originalS3Path', s3.message)
  else if (s3Length) problem('originalS3Path', s3Length)

  const placePath = async (field: string, value: string) => {
    const substituted = substituteNetworkVolume(value, options.networkVolume)
    const length = substituted.ok ? pathTooLong(substituted.value) : undefined
    const checked = !substituted.ok
      ? substituted
      : length
        ? { ok: false as const, message: length }
        : await checkModelPath(substituted.value, options.roots, options.paths)
    if (checked.ok) return checked
    problem(field, checked.message)
    return undefined
  }
  const local = await placePath('localPath', raw.model.localPath)
  const linkSource = raw.model.symLinkedFrom
    ? await placePath('symLinkedFrom', raw.model.symLinkedFrom)
    : undefined
  if (local && linkSource && linkSource.location === local.location) {
    problem('symLinkedFrom', `${linkSource.path} is the localPath itself; a file cannot link to itself`)
  }

  if (!s3.ok || !local || issues.length > 0) return { ok: false, issues }
  const { group, key } = located.naming ?? { group: raw.model.directoryGroup, key: raw.model.modelName }
  const model: ModelEntry = {
    id: `${group}/${key}`,
    group,
    key,
    modelName: raw.model.modelName,
    ...(s3.value !== undefined ? { s3Uri: s3.value } : { url: raw.model.url! }),
    localPath: local.path,
    expectedSize: raw.model.modelSize,
    ...(raw.model.sha256 ? { sha256: raw.model.sha256 } : {}),
    ...(linkSource ? { symLinkedFrom: linkSource.path } : {}),
    aliases: [],
    extra: raw.extra,
  }
  return { ok: true, placed: { entry, model, location: local.location } }
}
