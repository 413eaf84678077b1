// Lists an S3 source (`s3://bucket/prefix/`) and turns its objects into models laid out the ComfyUI way,
// page by page, with what the disk already has for each.
import { ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LocalInfo, ScannedModel } from '../../shared/api-contract'
import { localInfo } from '../app/local-info'
import { substituteNetworkVolume } from '../config/placeholders'
import { hasModelExtension, mapKey, markerFolders, normalizeExtensions, type MappedKey } from './key-mapping'
import { cancelledError, ScanError, toScanError } from './scan-errors'
import { formatSourceUri, parseSourceUri, type SourceLocation } from './source-uri'

export { ROOT_GROUP } from './key-mapping'
export { ScanError, type ScanErrorCode } from './scan-errors'

/** The old system's compressed copy of an object: `<key>.tar.zst` beside it. */
export const COMPRESSED_SUFFIX = '.tar.zst'

export interface ScanPage {
  /** Models first reported by this page. */
  models: ScannedModel[]
  /** Every folder seen so far, relative to the source prefix, '/'-separated, no trailing slash, sorted. */
  folders: string[]
  /** Objects listed so far, of every type (skipped and non-model ones included). */
  listed: number
}

export interface ScanOptions {
  client: S3Client
  /** `s3://bucket/prefix/`; `s3://bucket/prefix` means the same folder. */
  uri: string
  /** List every object, not only files with a model extension. */
  allTypes?: boolean
  /** Model file types, compared case-insensitively (settings.modelExtensions). */
  extensions: readonly string[]
  /** Where `<group>/<path…>/<file>` lands locally; may use {{NETWORK_VOLUME}}. */
  modelsRoot: string
  networkVolume?: string
  signal?: AbortSignal
  /** Called once per listed page, in order, and awaited before the next page is asked for. */
  onPage?: (page: ScanPage) => void | Promise<void>
  /**
   * The source's top-level folders, from one delimited request made before the full listing: the groups
   * can be shown at once, however many pages the listing then takes. Only asked for when given.
   */
  onFolders?: (folders: string[]) => void | Promise<void>
  /** Keys per ListObjectsV2 page (S3's maximum and default: 1000). */
  pageSize?: number
}

const LIST_ATTEMPTS = 3
const STAT_CONCURRENCY = 32

interface Draft {
  key: string
  mapped: MappedKey
  object: _Object
  hasCompressedSibling: boolean
}

/**
 * Lists the whole source with ListObjectsV2 (recursive, paginated) and reports each page's models as it
 * arrives. A model whose `<key>.tar.zst` may still come on a later page is held back until that page has
 * been seen, so the sibling is always folded into it: S3 lists keys in UTF-8 byte order, and every key
 * between a key and its sibling starts with that key, so only the last few keys of a page ever wait.
 */
export async function scanSource(options: ScanOptions): Promise<ScanPage> {
  const parsed = parseSourceUri(options.uri)
  if (!parsed.ok) throw new ScanError('bad_uri', parsed.message)
  const source = parsed.source
  const uri = formatSourceUri(source)
  const modelsRoot = resolveModelsRoot(options.modelsRoot, options.networkVolume)
  const extensions = normalizeExtensions(options.extensions)
  const allTypes = options.allTypes ?? false
  const { signal } = options

  const folders = new Set<string>()
  const all: ScannedModel[] = []
  let pending: Draft[] = []
  let listed = 0
  let token: string | undefined

  if (options.onFolders) {
    const top = await listPage(options.client, source, uri, undefined, undefined, signal, '/')
    for (const common of top.CommonPrefixes ?? []) {
      const rel = common.Prefix?.startsWith(source.prefix) ? common.Prefix.slice(source.prefix.length) : ''
      for (const folder of markerFolders(rel)) folders.add(folder)
    }
    if (signal?.aborted) throw cancelledError(uri)
    await options.onFolders(sortedFolders(folders))
  }

  do {
    if (signal?.aborted) throw cancelledError(uri)
    const page = await listPage(options.client, source, uri, token, options.pageSize, signal)
    const contents = page.Contents ?? []
    listed += contents.length

    for (const object of contents) {
      const key = object.Key
      if (key === undefined || !key.startsWith(source.prefix)) continue
      const rel = key.slice(source.prefix.length)
      if (rel.endsWith('/')) {
        for (const folder of markerFolders(rel)) folders.add(folder)
        continue
      }
      const mapped = mapKey(rel, modelsRoot)
      if (!mapped) continue
      for (const folder of mapped.folders) folders.add(folder)
      if (key.endsWith(COMPRESSED_SUFFIX)) {
        const owner = findPending(pending, key.slice(0, -COMPRESSED_SUFFIX.length))
        if (owner) {
          owner.hasCompressedSibling = true
          continue
        }
        // A compressed copy with no object of its own beside it is a plain object like any other.
      }
      if (!allTypes && !hasModelExtension(mapped.name, extensions)) continue
      pending.push({ key, mapped, object, hasCompressedSibling: false })
    }

    token = page.IsTruncated ? page.NextContinuationToken : undefined
    const lastKey = contents[contents.length - 1]?.Key
    let ready = pending
    pending = []
    if (token !== undefined && lastKey !== undefined) {
      // Held back: the first model whose sibling would sort after this page's last key (so may still
      // come), and every model after it, so that models are reported in the listing's order.
      const held = ready.findIndex((draft) => utf8Compare(draft.key + COMPRESSED_SUFFIX, lastKey) > 0)
      if (held >= 0) {
        pending = ready.slice(held)
        ready = ready.slice(0, held)
      }
    }

    const models = await withLocalState(ready, source, signal, uri)
    all.push(...models)
    if (signal?.aborted) throw cancelledError(uri)
    await options.onPage?.({ models, folders: sortedFolders(folders), listed })
  } while (token !== undefined)

  return { models: all, folders: sortedFolders(folders), listed }
}

function resolveModelsRoot(modelsRoot: string, networkVolume: string | undefined): string {
  const substituted = substituteNetworkVolume(modelsRoot, networkVolume || undefined)
  if (!substituted.ok) throw new ScanError('bad_uri', `The models root ${modelsRoot}: ${substituted.message}`)
  if (substituted.value.trim() === '') throw new ScanError('bad_uri', 'No models root is set')
  return resolve(substituted.value)
}

async function listPage(
  client: S3Client,
  source: SourceLocation,
  uri: string,
  token: string | undefined,
  pageSize: number | undefined,
  signal: AbortSignal | undefined,
  delimiter?: '/',
) {
  const command = new ListObjectsV2Command({
    Bucket: source.bucket,
    ...(source.prefix ? { Prefix: source.prefix } : {}),
    ...(delimiter ? { Delimiter: delimiter } : {}),
    ...(token ? { ContinuationToken: token } : {}),
    ...(pageSize ? { MaxKeys: pageSize } : {}),
  })
  // Clients made for transfers do not retry (the engine has its own policy): a listing does it here.
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(command, signal ? { abortSignal: signal } : {})
    } catch (err) {
      if (signal?.aborted) throw cancelledError(uri)
      const { error, retryable } = toScanError(err, uri, source.bucket)
      if (!retryable || attempt >= LIST_ATTEMPTS) throw error
      try {
        await sleep(200 * 4 ** (attempt - 1), undefined, signal ? { signal } : {})
      } catch {
        throw cancelledError(uri)
      }
    }
  }
}

/** Recent drafts are at the end, and a sibling follows its model closely: search backwards. */
function findPending(pending: Draft[], key: string): Draft | undefined {
  for (let i = pending.length - 1; i >= 0; i--) if (pending[i]!.key === key) return pending[i]
  return undefined
}

async function withLocalState(
  drafts: Draft[],
  source: SourceLocation,
  signal: AbortSignal | undefined,
  uri: string,
): Promise<ScannedModel[]> {
  const models: ScannedModel[] = new Array(drafts.length)
  let next = 0
  const work = async (): Promise<void> => {
    while (next < drafts.length) {
      if (signal?.aborted) throw cancelledError(uri)
      const index = next++
      models[index] = await toModel(drafts[index]!, source)
    }
  }
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, drafts.length) }, work))
  return models
}

async function toModel(draft: Draft, source: SourceLocation): Promise<ScannedModel> {
  const { mapped, object } = draft
  const size = object.Size ?? 0
  return {
    id: mapped.localPath,
    entryId: mapped.entryId,
    group: mapped.group,
    modelName: mapped.name,
    s3Uri: `s3://${source.bucket}/${draft.key}`,
    localPath: mapped.localPath,
    expectedSize: size,
    lastModified: (object.LastModified ?? new Date(0)).toISOString(),
    ...(object.ETag ? { etag: object.ETag } : {}),
    hasCompressedSibling: draft.hasCompressedSibling,
    local: await statLocal(mapped.localPath, size),
  }
}

async function statLocal(localPath: string, size: number): Promise<LocalInfo> {
  try {
    return await localInfo(localPath, size)
  } catch {
    // Something stands there that stat cannot look into (EACCES on a folder): it is not a usable model
    // file, and calling it missing would invite a download onto it.
    return { state: 'not_a_file' }
  }
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

function sortedFolders(folders: Set<string>): string[] {
  return [...folders].sort()
}
