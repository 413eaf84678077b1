import { resolve } from 'node:path'
import { ConfigError } from '../../core/config'
import { buildFlatConfig, buildNestedConfig, saveModelConfig } from '../../core/config/save-config'
import { writeFileAtomic } from '../../core/fs/atomic-write'
import { ROOT_GROUP, ScanError, scanSource, type ScanPage } from '../../core/scan/scan-source'
import { parseSourceUri } from '../../core/scan/source-uri'
import { createS3Client } from '../../core/transfer/s3-client'
import { formatBytes } from '../../core/transfer/preflight'
import type { LocalInfo, ScannedModel } from '../../shared/api-contract'
import { DEFAULT_TUNING } from '../../shared/transfer'
import { cliContext, type CliContext } from '../cli-settings'
import { terminalSafe } from '../format'
import { UsageError } from '../usage-error'
import { parseFlags } from '../parse-flags'

export const SCAN_HELP = `modeldl scan <s3://bucket/prefix/> [options]

  Lists the models in an S3 source as ComfyUI model folders: <prefix>/<group>/<path…>/<file> belongs in
  <models root>/<group>/<path…>/<file>; files directly under the prefix form the group "${ROOT_GROUP}".
  A <key>.tar.zst beside an object is its compressed copy, not a model of its own.

Options:
  --format F         table (default on stdout): group, model, size, last modified, local state;
                     nested: the old model config format ({{NETWORK_VOLUME}} paths under NETWORK_VOLUME);
                     flat: a JSON array (for download list)
  --out FILE         write to FILE (atomically) instead of stdout; default format then nested
  --merge            with --out and nested: add to FILE's config, keeping its other entries and fields
  --all-types        every object, not only model files (settings modelExtensions, or .safetensors …)
  --models-root DIR  where groups go (default: MODELDL_MODELS_ROOT, the settings file's modelsRoots[0],
                     $NETWORK_VOLUME/ComfyUI/models, else ~/models)
  --home DIR         the state folder (for settings.json)
Exit status: 0 listed, 1 the listing failed (access, network, no such bucket), 2 bad input.`

/** Lists a source with the CLI's S3 settings; Ctrl-C cancels it (ScanError 'cancelled'). */
export async function scanWithContext(
  ctx: CliContext,
  uri: string,
  options: { allTypes?: boolean; onPage?: (page: ScanPage) => void } = {},
): Promise<ScanPage> {
  // Before any client exists: a typo is bad input, not a failed listing.
  const parsed = parseSourceUri(uri)
  if (!parsed.ok) throw new UsageError(parsed.message)
  const client = createS3Client(ctx.settings.s3, DEFAULT_TUNING, ctx.env)
  const controller = new AbortController()
  const onSigint = (): void => controller.abort()
  process.once('SIGINT', onSigint)
  try {
    return await scanSource({
      client,
      uri,
      allTypes: options.allTypes ?? false,
      extensions: ctx.modelExtensions,
      modelsRoot: ctx.modelsRoot,
      ...(ctx.networkVolume ? { networkVolume: ctx.networkVolume } : {}),
      signal: controller.signal,
      ...(options.onPage ? { onPage: options.onPage } : {}),
    })
  } catch (err) {
    // Bad input (exit 2), e.g. a models root with an unset placeholder; the rest is the store's (exit 1).
    if (err instanceof ScanError && err.code === 'bad_uri') throw new UsageError(err.message)
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    client.destroy()
  }
}

/** A running count on a terminal, so a long listing shows it is moving. */
export function listingProgress(): { onPage: (page: ScanPage) => void; done: () => void } {
  if (!process.stderr.isTTY) return { onPage: () => undefined, done: () => undefined }
  let models = 0
  return {
    onPage: (page) => {
      models += page.models.length
      process.stderr.write(`\r\x1b[2KListed ${page.listed} objects, ${models} models…`)
    },
    done: () => process.stderr.write('\r\x1b[2K'),
  }
}

export async function scanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      merge: { type: 'boolean' },
      'all-types': { type: 'boolean' },
      'models-root': { type: 'string' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(SCAN_HELP)
    return 0
  }
  const [uri, ...extra] = positionals
  if (!uri) throw new UsageError('scan needs a source: modeldl scan s3://bucket/prefix/')
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`)
  const format = values.format ?? (values.out ? 'nested' : 'table')
  if (format !== 'nested' && format !== 'flat' && format !== 'table') {
    throw new UsageError(`Unknown format "${format}": use nested, flat or table`)
  }
  if (values.merge && !values.out)
    throw new UsageError('--merge adds to a config file: give it with --out FILE')
  if (values.merge && format !== 'nested') throw new UsageError('--merge works with the nested format only')

  const ctx = await cliContext({
    ...(values.home ? { home: values.home } : {}),
    ...(values['models-root'] ? { modelsRoot: values['models-root'] } : {}),
  })
  const progress = listingProgress()
  let result: ScanPage
  try {
    result = await scanWithContext(ctx, uri, {
      allTypes: values['all-types'] ?? false,
      onPage: progress.onPage,
    })
  } catch (err) {
    if (!(err instanceof ScanError)) throw err
    // The store's own words may be quoted in it.
    console.error(`modeldl: ${safeLines(err.message)}`)
    return 1
  } finally {
    progress.done()
  }
  const { models } = result
  console.error(summary(models, result.listed))

  const options = ctx.networkVolume ? { networkVolume: ctx.networkVolume } : {}
  if (values.out && format === 'nested') {
    const path = resolve(values.out)
    try {
      const saved = await saveModelConfig({ path, mode: values.merge ? 'merge' : 'new', models }, options)
      const kept = values.merge ? ` (${saved.kept} other entries kept)` : ''
      console.error(`Wrote ${saved.written} models to ${saved.path}${kept}`)
    } catch (err) {
      // It may quote the file's group and model names.
      if (err instanceof ConfigError) throw new UsageError(safeLines(err.message))
      throw err
    }
    return 0
  }
  // JSON.stringify leaves C1 controls and bidi overrides in names as they are: escaped line by line, the
  // JSON means the same and prints safely.
  const text =
    format === 'table'
      ? scanTable(models)
      : safeLines(
          JSON.stringify(
            format === 'nested' ? buildNestedConfig(models, options) : buildFlatConfig(models, options),
            null,
            2,
          ),
        )
  if (values.out) {
    await writeFileAtomic(resolve(values.out), `${text}\n`)
    console.error(`Wrote ${models.length} models to ${resolve(values.out)}`)
  } else {
    console.log(text)
  }
  return 0
}

const LOCAL_WORDS: Record<LocalInfo['state'], string> = {
  installed: 'installed',
  missing: 'missing',
  partial: 'partial',
  wrong_size: 'different size',
  not_a_file: 'not a file',
  broken_link: 'broken link',
}

function localWords(local: LocalInfo): string {
  if (local.state === 'wrong_size' && local.bytes !== undefined) {
    return `different size (${formatBytes(local.bytes)} on disk)`
  }
  if (local.state === 'partial' && local.bytes) return `partial (${formatBytes(local.bytes)} resumable)`
  return LOCAL_WORDS[local.state]
}

/** Each line of a text through terminalSafe, the line breaks kept. */
export function safeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n')
}

/**
 * Group, path in the group, size, last modified (UTC) and local state, by group then path. Names come
 * from the store and are shown through terminalSafe.
 */
export function scanTable(models: ScannedModel[]): string {
  if (models.length === 0) return 'No models found.'
  const head = ['GROUP', 'MODEL', 'SIZE', 'LAST MODIFIED', 'LOCAL']
  const rows = [...models]
    .sort((a, b) => (a.group === b.group ? cmp(a.entryId, b.entryId) : cmp(a.group, b.group)))
    .map((m) => [
      terminalSafe(m.group),
      terminalSafe(m.entryId.slice(m.group.length + 1)) + (m.hasCompressedSibling ? ' (+.tar.zst)' : ''),
      formatBytes(m.expectedSize),
      `${m.lastModified.slice(0, 16).replace('T', ' ')}Z`,
      localWords(m.local),
    ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  return [head, ...rows]
    .map((row) =>
      row
        .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function summary(models: ScannedModel[], listed: number): string {
  const count = (state: LocalInfo['state']) => models.filter((m) => m.local.state === state).length
  const groups = new Set(models.map((m) => m.group)).size
  const toFetch = models.filter((m) => m.local.state !== 'installed').reduce((n, m) => n + m.expectedSize, 0)
  return (
    `${models.length} models in ${groups} groups (${listed} objects listed): ${count('installed')} installed, ` +
    `${count('missing')} missing, ${count('partial')} partial, ${count('wrong_size')} different size; ` +
    `${formatBytes(toFetch)} not installed`
  )
}
