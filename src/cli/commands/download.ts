import { resolve } from 'node:path'
import {
  ConfigError,
  loadModelConfigFile,
  parseModelList,
  parseSingleModel,
  type ModelEntry,
} from '../../core/config'
import { readConfigBytes } from '../../core/config/read-config'
import { ScanError } from '../../core/scan/scan-source'
import { localState } from '../../core/service/local/install-state'
import type { ScannedModel } from '../../shared/api-contract'
import { sourceFields, type EnqueueEntry } from '../../shared/service-contract'
import { cliContext, type CliContext } from '../cli-settings'
import { shellWord, terminalSafe } from '../format'
import { connectOrStartDaemon, ownOrConnect } from '../owner-session'
import { UsageError } from '../usage-error'
import { isUrlArgument, urlModel } from '../url-model'
import type { Entrypoints } from '../entrypoints'
import { waitFor } from '../wait/wait-for'
import { listingProgress, scanWithContext } from './scan'
import { parseFlags } from '../parse-flags'

export const DOWNLOAD_HELP = `modeldl download <all|missing|list|single> [MODELS_JSON|@FILE] [options]

  all       every model in the config (complete files of the right size are marked completed
            without a download, unless --force)
  missing   models whose file is absent or has the wrong size (with --verify: or a wrong sha256)
  list      the models of a JSON array (flat format), inline or @file
  single    one model as a JSON object, inline or @file; or an https URL (Hugging Face, CivitAI,
            any server with byte ranges): its size, name and sha256 are looked up

Options:
  --config FILE   the model config (default: MODEL_CONFIG_FILE)
  --from S3_URI   all/missing: the models an S3 source has instead of a config (as modeldl scan
                  lists them), e.g. download missing --from s3://bucket/models/ --wait
  --models-root DIR  with --from: where the source's groups go (see modeldl scan)
  --to DIR        single URL: the folder the file goes in (default: the current folder)
  --wait          stay until these models finish: progress on the terminal, exit 0 only if all completed
  --json          with --wait: JSON lines on stdout
  --force         download even complete files
  --verify        missing: also check the sha256 of files that have one
  --home DIR      the state folder (default: MODELDL_HOME or the per-user state folder)
Without --wait the models are handed to the running owner (the app, or a background worker started
now) and the progress file's path is printed.`

export async function readJsonArgument(arg: string | undefined, what: string): Promise<unknown> {
  if (arg === undefined) throw new UsageError(`${what} needs a JSON argument (inline or @file)`)
  let text = arg
  if (arg.startsWith('@')) {
    const file = resolve(arg.slice(1))
    // The config's rules: a regular file, at most MAX_CONFIG_BYTES, never read past them (@/dev/zero).
    const read = await readConfigBytes(file)
    if (!read.ok) throw new UsageError(`${what}: ${file}: ${read.message}`)
    text = read.bytes.toString('utf8')
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${what}: not valid JSON (${(err as Error).message})`)
  }
}

/** A scanned object as a config entry would name it: `group/path-in-group` is its id. */
function scannedEntry(m: ScannedModel): ModelEntry {
  return {
    id: m.entryId,
    group: m.group,
    key: m.entryId.slice(m.group.length + 1),
    modelName: m.modelName,
    ...sourceFields(m),
    localPath: m.localPath,
    expectedSize: m.expectedSize,
    aliases: [],
    extra: {},
  }
}

async function entriesFromSource(mode: string, uri: string, ctx: CliContext): Promise<ModelEntry[]> {
  if (mode !== 'all' && mode !== 'missing') {
    throw new UsageError(`--from lists a source for all or missing mode, not ${mode}`)
  }
  const progress = listingProgress()
  try {
    const { models } = await scanWithContext(ctx, uri, { onPage: progress.onPage })
    return models.map(scannedEntry)
  } finally {
    progress.done()
  }
}

async function entriesFor(mode: string, models: string | undefined, ctx: CliContext): Promise<ModelEntry[]> {
  const options = {
    networkVolume: ctx.networkVolume,
    defaultBucket: ctx.defaultBucket,
    modelsRoots: ctx.modelsRoots,
  }
  switch (mode) {
    case 'list':
      return parseModelList(await readJsonArgument(models, 'list mode'), options)
    case 'single':
      return [await parseSingleModel(await readJsonArgument(models, 'single mode'), options)]
    case 'all':
    case 'missing': {
      if (models !== undefined)
        throw new UsageError(`${mode} mode takes no models argument; use --config FILE`)
      if (!ctx.configFile)
        throw new UsageError(`${mode} mode needs a model config: --config FILE or MODEL_CONFIG_FILE`)
      return (await loadModelConfigFile(resolve(ctx.configFile), options)).entries
    }
    default:
      throw new UsageError(`Unknown mode "${mode}": use all, missing, list or single`)
  }
}

/** The fix for the old `missing`, which counted a truncated file as installed. */
async function missingOnly(entries: ModelEntry[], verify: boolean): Promise<ModelEntry[]> {
  const out: ModelEntry[] = []
  for (const e of entries) {
    const state = await localState(e.localPath, e.expectedSize, {
      ...(e.sha256 ? { sha256: e.sha256 } : {}),
      verify,
    })
    if (state.kind !== 'installed') out.push(e)
  }
  return out
}

function toEnqueue(e: ModelEntry): EnqueueEntry {
  return {
    group: e.group,
    modelName: e.modelName,
    ...sourceFields(e),
    localPath: e.localPath,
    expectedSize: e.expectedSize,
    ...(e.sha256 ? { sha256: e.sha256 } : {}),
    ...(e.symLinkedFrom ? { symLinkedFrom: e.symLinkedFrom } : {}),
  }
}

export async function downloadCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
      verify: { type: 'boolean' },
      from: { type: 'string' },
      'models-root': { type: 'string' },
      to: { type: 'string' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(DOWNLOAD_HELP)
    return 0
  }
  const [mode, models, ...extra] = positionals
  if (!mode) throw new UsageError('download needs a mode: all, missing, list or single')
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`)
  if (values.from && values.config) throw new UsageError('--from and --config name two sources: give one')
  if (values.from && models !== undefined) throw new UsageError('--from takes no models argument')
  const byUrl = mode === 'single' && isUrlArgument(models)
  if (values.to !== undefined && !byUrl) throw new UsageError('--to is for a single URL download')
  const ctx = await cliContext({
    ...(values.config ? { config: values.config } : {}),
    ...(values.home ? { home: values.home } : {}),
    ...(values['models-root'] ? { modelsRoot: values['models-root'] } : {}),
  })

  let entries: ModelEntry[]
  try {
    entries = values.from
      ? await entriesFromSource(mode, values.from, ctx)
      : byUrl
        ? [await urlModel(models, values.to, ctx)]
        : await entriesFor(mode, models, ctx)
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message)
    if (err instanceof ScanError) {
      console.error(`modeldl: ${terminalSafe(err.message)}`)
      return 1
    }
    throw err
  }
  if (mode === 'missing') entries = await missingOnly(entries, values.verify ?? false)
  if (entries.length === 0) {
    console.error('Nothing to download: every model is installed.')
    if (!values.wait) console.log(ctx.paths.progressFile)
    return 0
  }

  const session = values.wait
    ? await ownOrConnect(ctx, entry.worker)
    : await connectOrStartDaemon(ctx, entry.cli)
  try {
    // `missing` already chose what to fetch (with --verify, files of the right size but wrong bytes too).
    const result = await session.api.enqueue({
      entries: entries.map(toEnqueue),
      force: mode === 'missing' || !!values.force,
    })
    const summary =
      `${result.queued.length} queued, ${result.linked.length} to link, ` +
      `${result.alreadyComplete.length} already complete, ${result.alreadyQueued.length} already queued`
    if (!values.wait) {
      console.error(summary)
      console.log(ctx.paths.progressFile)
      return 0
    }
    if (!values.json) console.error(summary)
    const ids = [...result.queued, ...result.linked, ...result.alreadyQueued, ...result.alreadyComplete]
    return await waitFor(session, ids, {
      display: values.json ? 'json' : process.stderr.isTTY ? 'tty' : 'lines',
      resumeCommand: terminalSafe(['modeldl', 'download', ...argv].map(shellWord).join(' ')),
    })
  } finally {
    await session.close()
  }
}
