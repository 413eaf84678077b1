import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildFlatConfig } from '../../core/config/save-config'
import { writeFileAtomic } from '../../core/fs/atomic-write'
import { GateError, PathGate } from '../../core/gate/path-gate'
import { ScanError } from '../../core/scan/scan-source'
import { resolveWorkflowModels } from '../../core/workflow/model-resolver'
import { WorkflowError } from '../../core/workflow/workflow-error'
import { readWorkflowFile, type ReadWorkflow } from '../../core/workflow/workflow-reader'
import {
  workflowConfigModels,
  workflowEnqueueEntry,
  type ResolvedWorkflowModel,
  type WorkflowResolution,
} from '../../shared/workflow'
import { cliContext, type CliContext } from '../cli-settings'
import type { Entrypoints } from '../entrypoints'
import { shellWord, terminalSafe } from '../format'
import { connectOrStartDaemon, ownOrConnect } from '../owner-session'
import { UsageError } from '../usage-error'
import { lookUpUrlModels } from '../url-model'
import { workflowNotes, workflowSummary, workflowTable } from '../workflow-table'
import { waitFor } from '../wait/wait-for'
import { listingProgress, safeLines, scanWithContext } from './scan'

export const WORKFLOW_HELP = `modeldl workflow <FILE.json|FILE.png> [options]

  The models a ComfyUI workflow loads (the editor's JSON, the API JSON, or a PNG ComfyUI saved with
  the workflow in it), and where each one is: installed under the models root, in the S3 source, at
  the URL the workflow gives, or not found.

Options:
  --from S3_URI       the S3 source to look in (default: the settings' sourceUri, the last scanned)
  --prefer s3|url     the source of a model found in both (default s3)
  --download          queue the models to fetch from S3; URL downloads are not in the engine yet:
                      those are listed, not queued
  --wait              with --download: stay until they finish, as download --wait does
  --json              the models as JSON on stdout (progress and summaries go to stderr)
  --save-config FILE  write the models found in S3 as a flat model config (for download list @FILE)
  --models-root DIR   where the model folders are (see modeldl scan)
  --home DIR          the state folder (for settings.json and the queue)
Exit status: 0 listed (with --download: everything installed or queued, and with --wait fetched),
1 models left that were not queued or did not finish, or the S3 listing failed; 2 bad input.`

export async function workflowCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      prefer: { type: 'string' },
      download: { type: 'boolean' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      'save-config': { type: 'string' },
      'models-root': { type: 'string' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(WORKFLOW_HELP)
    return 0
  }
  const [file, ...extra] = positionals
  if (!file) throw new UsageError('workflow needs a file: modeldl workflow FILE.json|FILE.png')
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`)
  const prefer = values.prefer ?? 's3'
  if (prefer !== 's3' && prefer !== 'url') throw new UsageError(`--prefer takes s3 or url, not "${prefer}"`)
  if (values.wait && !values.download) throw new UsageError('--wait goes with --download')
  const ctx = await cliContext({
    ...(values.home ? { home: values.home } : {}),
    ...(values['models-root'] ? { modelsRoot: values['models-root'] } : {}),
  })

  let workflow: ReadWorkflow
  try {
    workflow = await readWorkflowFile(resolve(file))
  } catch (err) {
    if (err instanceof WorkflowError) throw new UsageError(safeLines(err.message))
    throw err
  }
  const source = values.from ?? ctx.sourceUri
  let resolution: WorkflowResolution
  try {
    resolution = await resolveAll(workflow, source, ctx, prefer)
  } catch (err) {
    if (err instanceof ScanError) {
      console.error(`modeldl: ${safeLines(err.message)}`)
      return 1
    }
    if (err instanceof GateError) throw new UsageError(err.message)
    throw err
  }
  if (!source) {
    console.error('No S3 source to look in: pass --from s3://bucket/prefix/ (or scan one in the window).')
  }
  const { models } = resolution
  console.error(workflowSummary(models))

  if (values['save-config']) await saveConfig(resolve(values['save-config']), models, ctx)
  if (!values.download) {
    printResolution(resolution, values.json ?? false, file)
    return 0
  }

  const byUrl = models.filter((m) => m.state === 'url')
  const looked = byUrl.length > 0 ? await lookUpUrlModels(byUrl, ctx) : []
  const toFetch = [
    ...models.filter((m) => m.state === 's3').map(workflowEnqueueEntry),
    ...looked.flatMap((l) => (l.ok ? [l.entry] : [])),
  ]
  const notQueued = [
    ...models.filter((m) => m.state === 'not_found').map(whyNotQueued),
    ...byUrl.flatMap((m, i) => {
      const l = looked[i]!
      return l.ok ? [] : [{ name: m.name, reason: l.reason }]
    }),
  ]
  const downloadReport = { queued: toFetch.map((e) => e.localPath), notQueued }
  printResolution(resolution, values.json ?? false, file, downloadReport)
  for (const left of downloadReport.notQueued)
    console.error(terminalSafe(`not queued: ${left.name}: ${left.reason}`))
  if (toFetch.length === 0) {
    console.error('Nothing to queue.')
    return notQueued.length === 0 ? 0 : 1
  }
  const session = values.wait
    ? await ownOrConnect(ctx, entry.worker)
    : await connectOrStartDaemon(ctx, entry.cli)
  try {
    const result = await session.api.enqueue({ entries: toFetch })
    console.error(
      `${result.queued.length} queued, ${result.alreadyComplete.length} already complete, ` +
        `${result.alreadyQueued.length} already queued`,
    )
    if (!values.wait) {
      console.error(`Progress: ${ctx.paths.progressFile}`)
      return notQueued.length === 0 ? 0 : 1
    }
    const ids = [...result.queued, ...result.linked, ...result.alreadyQueued, ...result.alreadyComplete]
    const code = await waitFor(session, ids, {
      display: process.stderr.isTTY ? 'tty' : 'lines',
      // Asked again, the same command finds the models installed or queued and goes on waiting.
      resumeCommand: terminalSafe(['modeldl', 'workflow', ...argv].map(shellWord).join(' ')),
    })
    return code === 0 && notQueued.length === 0 ? 0 : 1
  } finally {
    await session.close()
  }
}

async function resolveAll(
  workflow: ReadWorkflow,
  source: string | undefined,
  ctx: CliContext,
  prefer: 's3' | 'url',
): Promise<WorkflowResolution> {
  let listing
  if (source) {
    const progress = listingProgress()
    try {
      listing = (await scanWithContext(ctx, source, { onPage: progress.onPage })).models
    } finally {
      progress.done()
    }
  }
  const models = await resolveWorkflowModels(workflow.models, {
    modelsRoot: ctx.modelsRoot,
    ...(ctx.networkVolume ? { networkVolume: ctx.networkVolume } : {}),
    gate: new PathGate(ctx.modelsRoots),
    ...(listing ? { listing } : {}),
    prefer,
  })
  return {
    format: workflow.format,
    container: workflow.container,
    ...(source ? { s3Source: source } : {}),
    models,
  }
}

function printResolution(
  resolution: WorkflowResolution,
  json: boolean,
  file: string,
  download?: { queued: string[]; notQueued: Array<{ name: string; reason: string }> },
): void {
  if (json) {
    // Names come from the file: escaped line by line, the JSON means the same and prints safely.
    console.log(
      safeLines(
        JSON.stringify({ file: resolve(file), ...resolution, ...(download ? { download } : {}) }, null, 2),
      ),
    )
    return
  }
  console.log(workflowTable(resolution.models))
  const notes = workflowNotes(resolution.models)
  if (notes) console.log(`\n${notes}`)
}

function whyNotQueued(m: ResolvedWorkflowModel): { name: string; reason: string } {
  return {
    name: m.name,
    reason: m.problem ?? 'not installed, not in the S3 source, and no URL in the workflow',
  }
}

/** The models found in S3 (installed or not), as a flat config another machine can fetch them with. */
async function saveConfig(path: string, models: ResolvedWorkflowModel[], ctx: CliContext): Promise<void> {
  const saved = workflowConfigModels(models)
  const options = ctx.networkVolume ? { networkVolume: ctx.networkVolume } : {}
  await writeFileAtomic(path, `${JSON.stringify(buildFlatConfig(saved, options), null, 2)}\n`)
  const left = models.length - saved.length
  console.error(
    `Wrote ${saved.length} models to ${path}${left ? ` (${left} left out: no S3 object known to be the same file)` : ''}`,
  )
}
