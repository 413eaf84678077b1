// The window's URL channels, as app-backend.ts hands them to both doors: workflow:download (from the
// workflows opened through workflow:open, kept here) and url:lookup / url:download (one URL typed in).
import type { ApiHandlers } from '../../shared/api-contract'
import type { EnqueueRequest, EnqueueResult } from '../../shared/service-contract'
import type { AppSettings } from '../../shared/settings'
import type { ResolvedWorkflowModel } from '../../shared/workflow'
import type { PathGate } from '../gate/path-gate'
import { OpenedWorkflows } from './opened-workflows'
import { downloadUrl, lookUpUrl, type UrlDownloadContext } from './url-download'
import { downloadWorkflowModels } from './workflow-downloads'

type UrlChannels = 'workflow:download' | 'url:lookup' | 'url:download'

export interface UrlHandlersDeps {
  settings(): AppSettings
  env: Record<string, string | undefined>
  gate: PathGate
  /** Certificates for look-ups instead of Node's (AppBackendDeps.httpCa). */
  ca?: string[]
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>
}

export function createUrlHandlers(deps: UrlHandlersDeps): {
  handlers: Pick<ApiHandlers, UrlChannels>
  /** workflow:open's keeper: the unmasked resolution stays here, its id goes to the window. */
  keep(models: readonly ResolvedWorkflowModel[]): string
} {
  const workflows = new OpenedWorkflows()
  const ca = deps.ca ? { ca: deps.ca } : {}
  const context = (): UrlDownloadContext => ({
    settings: deps.settings(),
    env: deps.env,
    gate: deps.gate,
    ...ca,
    enqueue: deps.enqueue,
  })
  return {
    handlers: {
      'workflow:download': (request) =>
        downloadWorkflowModels(request, { workflows, env: deps.env, ...ca, enqueue: deps.enqueue }),
      'url:lookup': (request) => lookUpUrl(request, context()),
      'url:download': (request) => downloadUrl(request, context()),
    },
    keep: (models) => workflows.keep(models),
  }
}
