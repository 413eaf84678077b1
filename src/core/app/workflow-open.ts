// A ComfyUI workflow as a window opens it: from the bytes a browser or a drop hands over, or from the
// path a native dialog chose. The same reader and resolver as `modeldl workflow`, against the settings'
// S3 source and models root; what a window may not see or do is decided here, whichever door it used.
import { ApiError } from '../../shared/api-contract'
import type { AppSettings } from '../../shared/settings'
import { DEFAULT_TUNING } from '../../shared/transfer'
import type { OpenedWorkflow, ResolvedWorkflowModel, WorkflowFileRequest } from '../../shared/workflow'
import type { PathGate } from '../gate/path-gate'
import { ScanError, scanSource } from '../scan/scan-source'
import { createS3Client } from '../transfer/s3-client'
import { resolveWorkflowModels } from '../workflow/model-resolver'
import { printableUrl } from '../url/printable-url'
import { WorkflowError } from '../workflow/workflow-error'
import { parseWorkflowBytes, readWorkflowFile, type ReadWorkflow } from '../workflow/workflow-reader'
import { s3SettingsFrom } from './service-settings'
import type { StoredCredentials } from './settings-patch'

type Env = Record<string, string | undefined>

export interface WorkflowOpenContext {
  settings: AppSettings
  credentials: StoredCredentials | undefined
  env: Env
  /** The models roots' gate: a model whose path it refuses is never offered for download. */
  gate: PathGate
  /** Keeps the unmasked resolution on this side; its id goes to the window (see opened-workflows.ts). */
  keep(models: readonly ResolvedWorkflowModel[]): string
}

/** A workflow from its bytes (base64, as the contract carries them). */
export function openWorkflowData(
  request: WorkflowFileRequest,
  ctx: WorkflowOpenContext,
): Promise<OpenedWorkflow> {
  const name = baseName(request.name)
  return open(
    name,
    async () => {
      try {
        return parseWorkflowBytes(Buffer.from(request.data, 'base64'))
      } catch (err) {
        if (err instanceof WorkflowError) throw new WorkflowError(err.code, `${name}: ${err.message}`)
        throw err
      }
    },
    ctx,
  )
}

/** A workflow from a file the user chose in a native dialog (the reader's messages name the path). */
export function openWorkflowFile(path: string, ctx: WorkflowOpenContext): Promise<OpenedWorkflow> {
  return open(baseName(path), () => readWorkflowFile(path), ctx)
}

async function open(
  name: string,
  read: () => Promise<ReadWorkflow>,
  ctx: WorkflowOpenContext,
): Promise<OpenedWorkflow> {
  let workflow: ReadWorkflow
  try {
    workflow = await read()
  } catch (err) {
    // What is wrong with the file is the user's to fix: said as it is, with a code the window can keep.
    if (err instanceof WorkflowError) throw new ApiError('bad_request', err.message)
    throw err
  }
  const { settings, env } = ctx
  const networkVolume = settings.networkVolume || env['NETWORK_VOLUME'] || ''
  const source = settings.sourceUri
  let listing
  let s3Problem: string | undefined
  if (source) {
    const client = createS3Client(s3SettingsFrom(settings, ctx.credentials, env), DEFAULT_TUNING, env)
    try {
      const scanned = await scanSource({
        client,
        uri: source,
        extensions: settings.modelExtensions,
        modelsRoot: settings.modelsRoot,
        ...(networkVolume ? { networkVolume } : {}),
      })
      listing = scanned.models
    } catch (err) {
      // The disk and the workflow's URLs still answer: the table is shown, with what went wrong.
      if (!(err instanceof ScanError)) throw err
      s3Problem = err.message
    } finally {
      client.destroy()
    }
  }
  const models = await resolveWorkflowModels(workflow.models, {
    modelsRoot: settings.modelsRoot,
    ...(networkVolume ? { networkVolume } : {}),
    gate: ctx.gate,
    ...(listing ? { listing } : {}),
    prefer: 's3',
  })
  return {
    name,
    format: workflow.format,
    container: workflow.container,
    ...(source ? { s3Source: source } : {}),
    ...(s3Problem ? { s3Problem } : {}),
    models: models.map(masked),
    workflowId: ctx.keep(models),
  }
}

/** Credentials in a workflow's URLs never reach a window (nor a browser's memory or its screenshots). */
function masked(m: ResolvedWorkflowModel): ResolvedWorkflowModel {
  return m.url ? { ...m, url: printableUrl(m.url) } : m
}

function baseName(name: string): string {
  return name.split(/[\\/]/).pop() || name
}
