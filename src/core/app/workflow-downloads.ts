// "Download missing" of an opened workflow (workflow:download): the rows a window ticked, by their
// `folder/name`, turned into queue entries here, from the resolution the service kept when the workflow
// was opened. S3 models as they were found; URL models with their size looked up now and their URL as
// the workflow wrote it (a token in it never crossed to the window and does not need to come back).
import { ApiError } from '../../shared/api-contract'
import type { EnqueueEntry, EnqueueRequest, EnqueueResult } from '../../shared/service-contract'
import {
  isQueueable,
  isUrlQueueable,
  UNKNOWN_FOLDER,
  workflowEnqueueEntry,
  workflowModelKey,
  type ResolvedWorkflowModel,
  type WorkflowDownloadRequest,
  type WorkflowDownloadResult,
} from '../../shared/workflow'
import { lookUpUrlModels } from '../url/url-lookup'
import { KEPT_WORKFLOWS, type OpenedWorkflows } from './opened-workflows'
import { windowUrlProblem } from './window-urls'

type Env = Record<string, string | undefined>

export interface WorkflowDownloadContext {
  workflows: OpenedWorkflows
  env: Env
  /** Certificates for the URL look-ups instead of Node's (see AppBackendDeps.httpCa). */
  ca?: string[]
  /** The service's own enqueue (its path gate and dedupe apply), as downloads:enqueue calls it. */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>
}

export async function downloadWorkflowModels(
  request: WorkflowDownloadRequest,
  ctx: WorkflowDownloadContext,
): Promise<WorkflowDownloadResult> {
  const models = ctx.workflows.get(request.workflowId)
  if (!models) {
    throw new ApiError(
      'not_found',
      `This workflow is no longer open on the service (it keeps the ${KEPT_WORKFLOWS} opened last, ` +
        'and none across a restart): open the workflow again, then download.',
    )
  }
  const byKey = new Map(models.map((m) => [workflowModelKey(m), m]))
  const notQueued: WorkflowDownloadResult['notQueued'] = []
  const fromS3: EnqueueEntry[] = []
  const byUrl: ResolvedWorkflowModel[] = []
  for (const name of new Set(request.names)) {
    const m = byKey.get(name)
    if (!m) notQueued.push({ name, reason: 'this workflow has no such model' })
    else if (isQueueable(m)) fromS3.push(workflowEnqueueEntry(m))
    else if (isUrlQueueable(m)) {
      const refused = windowUrlProblem(m.url!, ctx.env)
      if (refused) notQueued.push({ name, reason: refused })
      else byUrl.push(m)
    } else notQueued.push({ name, reason: whyNotQueueable(m) })
  }
  const looked = await lookUpUrlModels(byUrl, ctx.env, ctx.ca)
  const fromUrls = looked.flatMap((l, i) => {
    if (l.ok) return [l.entry]
    notQueued.push({ name: workflowModelKey(byUrl[i]!), reason: l.reason })
    return []
  })
  const entries = [...fromS3, ...fromUrls]
  return { enqueued: entries.length > 0 ? await ctx.enqueue({ entries }) : null, notQueued }
}

function whyNotQueueable(m: ResolvedWorkflowModel): string {
  if (m.problem) return m.problem
  switch (m.state) {
    case 'installed':
      return 'it is installed already'
    case 'url':
      return 'the workflow does not say which folder it goes in: its URL has nowhere to go'
    case 's3':
      return 'its S3 object has no place under the models root'
    case 'not_found':
      return m.folder === UNKNOWN_FOLDER
        ? 'the workflow does not say which folder it goes in, and no S3 object has it'
        : 'it is neither in the S3 source nor at a URL the workflow gives'
  }
}
