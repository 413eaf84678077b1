import { dirname, join } from 'node:path'
import { dialog, shell, type BrowserWindow } from 'electron'
import { ApiError, type ApiHandlers, type ConfigLoadResult } from '../shared/api-contract'
import type { OwnerKind } from '../shared/service-contract'
import type { OpenedWorkflow } from '../shared/workflow'
import { asApiError } from '../core/app/api-errors'
import { PathGate } from '../core/gate/path-gate'

/** The handlers only a desktop shell can serve; the backend's own answer "unsupported" for them. */
export type DesktopHandlers = Pick<
  ApiHandlers,
  'app:info' | 'dialog:openConfig' | 'dialog:openWorkflow' | 'dialog:saveConfigPath' | 'shell:reveal'
>

export interface DesktopHandlerDeps {
  base: ApiHandlers
  loadConfigFile(path: string): Promise<ConfigLoadResult>
  openWorkflowFile(path: string): Promise<OpenedWorkflow>
  /** The user chose this folder in a save dialog: the window may save its config there. */
  allowConfigFolder(folder: string): void
  window(): BrowserWindow | null
  modelsRoot(): string
  ownerKind(): OwnerKind
  notificationsSupported: boolean
  /** Where the save dialog starts. */
  documentsDir: string
}

const JSON_FILTERS = [
  { name: 'Model config', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
]

const WORKFLOW_FILTERS = [
  { name: 'ComfyUI workflow', extensions: ['json', 'png'] },
  { name: 'All files', extensions: ['*'] },
]

export function desktopHandlers(deps: DesktopHandlerDeps): DesktopHandlers {
  return {
    'app:info': async () => ({
      ...(await deps.base['app:info']()),
      shell: 'electron',
      ownerKind: deps.ownerKind(),
      capabilities: { dialogs: true, reveal: true, notifications: deps.notificationsSupported },
    }),

    'dialog:openConfig': async () => {
      const win = deps.window()
      const options: Electron.OpenDialogOptions = {
        title: 'Open a model config',
        properties: ['openFile'],
        filters: JSON_FILTERS,
      }
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      const path = picked.filePaths[0]
      if (picked.canceled || !path) return null
      return deps.loadConfigFile(path)
    },

    // The path goes straight from the dialog to the reader: the window never names a file to read.
    'dialog:openWorkflow': async () => {
      const win = deps.window()
      const options: Electron.OpenDialogOptions = {
        title: 'Open a ComfyUI workflow',
        properties: ['openFile'],
        filters: WORKFLOW_FILTERS,
      }
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      const path = picked.filePaths[0]
      if (picked.canceled || !path) return null
      return deps.openWorkflowFile(path)
    },

    'dialog:saveConfigPath': async () => {
      const win = deps.window()
      const options: Electron.SaveDialogOptions = {
        title: 'Save the model config',
        defaultPath: join(deps.documentsDir, 'models.json'),
        filters: JSON_FILTERS,
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      }
      const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
      if (picked.canceled || !picked.filePath) return null
      deps.allowConfigFolder(dirname(picked.filePath))
      return picked.filePath
    },

    // The renderer names a model by id; only a model the service completed, inside the models root,
    // is shown: the window cannot make the file manager open arbitrary paths.
    'shell:reveal': async ({ id }) => {
      const record = (await deps.base['downloads:list']()).find((r) => r.id === id)
      if (!record) throw new ApiError('not_found', `No downloaded model is known at ${id}`)
      if (record.status !== 'completed')
        throw new ApiError(
          'forbidden',
          `${record.modelName} is ${record.status}: only a completed model can be shown`,
        )
      // The same rule the service applies to every path it writes.
      await new PathGate([deps.modelsRoot()]).modelPath(record.localPath, 'id').catch((err: unknown) => {
        throw asApiError(err)
      })
      shell.showItemInFolder(record.localPath)
    },
  }
}
