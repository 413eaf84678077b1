// Opening a workflow and acting on it: the file's bytes (or the desktop's dialog) go to the service,
// which reads and resolves it; the ticked rows are named to the service (workflow:download), which
// builds their entries from its own copy, URLs with their tokens included, and queues them.
import type { Api } from '../../../shared/api-contract'
import { MAX_WORKFLOW_FILE_BYTES } from '../../../shared/limits'
import { isPngBytes, pngTextOnly } from '../../../shared/png-text-chunks'
import type { UrlModelRequest } from '../../../shared/url-model'
import { workflowModelKey, type OpenedWorkflow } from '../../../shared/workflow'
import { fileToBase64 } from '../lib/file-base64'
import { errorMessage } from '../lib/format'
import type { AppStore } from './app-store'
import { describeEnqueue } from './commands'

const MiB = 1024 * 1024

export function createWorkflowCommands(api: Api, store: AppStore) {
  const state = () => store.getState()

  async function show(name: string, open: () => Promise<OpenedWorkflow | null>): Promise<boolean> {
    state().workflowOpening(name)
    state().setScreen('downloads')
    try {
      const opened = await open()
      if (!opened) {
        state().closeWorkflow() // the user closed the dialog
        return false
      }
      state().workflowOpened(opened)
      return true
    } catch (e) {
      state().workflowFailed(name, errorMessage(e))
      return false
    }
  }

  return {
    /** A picked or dropped file: its bytes travel, since a browser never knows a file's path. */
    openWorkflowFile(file: File): Promise<boolean> {
      return show(file.name, async () => {
        // The service refuses it too; said here first, a 70 MB image never crosses the connection.
        if (file.size > MAX_WORKFLOW_FILE_BYTES) {
          throw new Error(
            `${file.name} is too large (${(file.size / MiB).toFixed(1)} MiB): a workflow file may be at most ` +
              `${MAX_WORKFLOW_FILE_BYTES / MiB} MiB. Open the workflow's .json, or a PNG saved by ComfyUI.`,
          )
        }
        return api.openWorkflow({ name: file.name, data: await fileToBase64(await workflowBytes(file)) })
      })
    },

    /** The desktop's native picker. */
    openWorkflowDialog: () => show('workflow', () => api.openWorkflowDialog()),

    /** Queues the ticked rows; they then show the queue's own progress. Rows left out say why. */
    async downloadWorkflowSelection(): Promise<void> {
      const { workflow } = state()
      if (workflow.status !== 'open') return
      const models = [...workflow.selected].sort((a, b) => a - b).map((i) => workflow.opened.models[i]!)
      if (models.length === 0) return
      try {
        const result = await api.downloadWorkflow({
          workflowId: workflow.opened.workflowId,
          names: models.map(workflowModelKey),
        })
        state().setWorkflowSelection([])
        if (result.enqueued) state().pushToast('info', describeEnqueue(result.enqueued, models.length))
        for (const { name, reason } of result.notQueued)
          state().pushToast('error', `Not queued: ${name}: ${reason}`)
      } catch (e) {
        state().pushToast('error', errorMessage(e))
      }
    },

    /** One URL typed in the Add URL dialog: what the host says of it (nothing is queued). */
    lookUpUrl: (request: UrlModelRequest) => api.lookUpUrl(request),

    /** The same URL queued; the toast says what the queue did with it. Errors are the dialog's to show. */
    async downloadUrl(request: UrlModelRequest): Promise<void> {
      const result = await api.downloadUrl(request)
      state().pushToast('info', `${describeEnqueue(result.enqueued, 1)}: ${result.name}`)
    },
  }
}

/** A PNG's text chunks only (the image is most of its bytes, and no workflow is in it); JSON as it is. */
async function workflowBytes(file: File): Promise<Blob> {
  if (!isPngBytes(new Uint8Array(await file.slice(0, 8).arrayBuffer()))) return file
  const text = pngTextOnly(new Uint8Array(await file.arrayBuffer()))
  return new Blob([text as Uint8Array<ArrayBuffer>])
}
