import { beforeEach, describe, expect, it, vi } from 'vitest'
import { desktopHandlers, type DesktopHandlerDeps } from '../../src/main/desktop-handlers'
import { type AppInfo, type ApiHandlers, type ConfigLoadResult } from '../../src/shared/api-contract'
import type { ModelRecord } from '../../src/shared/service-contract'
import type { OpenedWorkflow } from '../../src/shared/workflow'
import { fake, FakeBrowserWindow, resetFakeElectron } from './support/fake-electron'
import { modelRecord } from './support/records'
import { apiRejection as rejection } from '../support/api-rejection'

vi.mock('electron', async () => (await import('./support/fake-electron')).electronModule)

const ROOT = '/data/models'

const BASE_INFO: AppInfo = {
  version: '0.1.0',
  shell: 'browser',
  ownerKind: 'daemon',
  stateDir: '/state',
  platform: 'linux',
  capabilities: { dialogs: false, reveal: false, notifications: false },
}

const LOADED: ConfigLoadResult = { ok: false, message: 'stub', issues: [] }
const OPENED: OpenedWorkflow = {
  name: 'flux.png',
  format: 'ui',
  container: 'png:workflow',
  models: [],
  workflowId: 'wf-1',
}

function setUp(records: ModelRecord[] = [], win: FakeBrowserWindow | null = null) {
  const base = {
    'app:info': vi.fn(async () => BASE_INFO),
    'downloads:list': vi.fn(async () => records),
  } as unknown as ApiHandlers
  const loadConfigFile = vi.fn(async (_path: string) => LOADED)
  const allowConfigFolder = vi.fn((_folder: string) => {})
  const openWorkflowFile = vi.fn(async (_path: string) => OPENED)
  const deps: DesktopHandlerDeps = {
    base,
    loadConfigFile,
    openWorkflowFile,
    allowConfigFolder,
    window: () => win?.asBrowserWindow() ?? null,
    modelsRoot: () => ROOT,
    ownerKind: () => 'app',
    notificationsSupported: true,
    documentsDir: '/home/me/Documents',
  }
  return { handlers: desktopHandlers(deps), loadConfigFile, allowConfigFolder, openWorkflowFile }
}

beforeEach(() => resetFakeElectron())

describe('desktop handlers', () => {
  it('app:info says it is the desktop shell, who owns the queue and what it can do', async () => {
    const { handlers } = setUp()
    expect(await handlers['app:info']()).toEqual({
      ...BASE_INFO,
      shell: 'electron',
      ownerKind: 'app',
      capabilities: { dialogs: true, reveal: true, notifications: true },
    })
  })

  it('dialog:openConfig opens a JSON picker over the window and loads the chosen file', async () => {
    const win = new FakeBrowserWindow()
    const { handlers, loadConfigFile } = setUp([], win)
    fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/me/models.json'] })
    expect(await handlers['dialog:openConfig']()).toBe(LOADED)
    expect(loadConfigFile).toHaveBeenCalledExactlyOnceWith('/home/me/models.json')
    const [parent, options] = fake.dialog.showOpenDialog.mock.calls[0]!
    expect(parent).toBe(win)
    expect(options).toMatchObject({
      properties: ['openFile'],
      filters: [
        { name: 'Model config', extensions: ['json'] },
        { name: 'All files', extensions: ['*'] },
      ],
    })
  })

  it('dialog:openConfig answers null when cancelled, and works without a window', async () => {
    const { handlers, loadConfigFile } = setUp()
    expect(await handlers['dialog:openConfig']()).toBeNull()
    fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [] })
    expect(await handlers['dialog:openConfig']()).toBeNull()
    expect(loadConfigFile).not.toHaveBeenCalled()
    expect(fake.dialog.showOpenDialog.mock.calls[0]).toHaveLength(1) // no parent window
  })

  it('dialog:openWorkflow picks a .json or .png over the window and opens that path; null when cancelled', async () => {
    const win = new FakeBrowserWindow()
    const { handlers, openWorkflowFile, loadConfigFile } = setUp([], win)
    expect(await handlers['dialog:openWorkflow']()).toBeNull()
    expect(openWorkflowFile).not.toHaveBeenCalled()
    fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/me/flux.png'] })
    expect(await handlers['dialog:openWorkflow']()).toBe(OPENED)
    expect(openWorkflowFile).toHaveBeenCalledExactlyOnceWith('/home/me/flux.png')
    expect(loadConfigFile).not.toHaveBeenCalled()
    const [parent, options] = fake.dialog.showOpenDialog.mock.calls[1]!
    expect(parent).toBe(win)
    expect(options).toMatchObject({
      properties: ['openFile'],
      filters: [
        { name: 'ComfyUI workflow', extensions: ['json', 'png'] },
        { name: 'All files', extensions: ['*'] },
      ],
    })
  })

  it('dialog:saveConfigPath starts in Documents, asks before overwriting, answers the path or null', async () => {
    const { handlers, allowConfigFolder } = setUp([], new FakeBrowserWindow())
    expect(await handlers['dialog:saveConfigPath']()).toBeNull()
    expect(allowConfigFolder).not.toHaveBeenCalled()
    fake.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/home/me/new.json' })
    expect(await handlers['dialog:saveConfigPath']()).toBe('/home/me/new.json')
    // The folder the user chose is one the window may now save into (config:save asks the gate).
    expect(allowConfigFolder).toHaveBeenCalledExactlyOnceWith('/home/me')
    const options = fake.dialog.showSaveDialog.mock.calls[1]![1] as Electron.SaveDialogOptions
    expect(options.defaultPath).toBe('/home/me/Documents/models.json')
    expect(options.properties).toContain('showOverwriteConfirmation')
  })
})

describe('shell:reveal', () => {
  const completed = modelRecord({ id: `${ROOT}/loras/a.safetensors`, status: 'completed' })

  it('shows a completed model inside the models root in the file manager', async () => {
    const { handlers } = setUp([completed])
    await handlers['shell:reveal']({ id: completed.id })
    expect(fake.shell.showItemInFolder).toHaveBeenCalledExactlyOnceWith(completed.localPath)
  })

  it('refuses an id the service does not know', async () => {
    const { handlers } = setUp([completed])
    const err = await rejection(handlers['shell:reveal']({ id: '/etc/passwd' }))
    expect(err.code).toBe('not_found')
    expect(fake.shell.showItemInFolder).not.toHaveBeenCalled()
  })

  it.each(['queued', 'progress', 'paused', 'failed', 'cancelled'] as const)(
    'refuses a model that is %s',
    async (status) => {
      const record = modelRecord({ id: `${ROOT}/loras/b.safetensors`, status })
      const { handlers } = setUp([record])
      const err = await rejection(handlers['shell:reveal']({ id: record.id }))
      expect(err.code).toBe('forbidden')
      expect(err.message).toContain(`is ${status}`)
      expect(fake.shell.showItemInFolder).not.toHaveBeenCalled()
    },
  )

  it('refuses a completed model whose file is outside the models root', async () => {
    const outside = [
      '/data/models-evil/a.safetensors', // shares the root's prefix
      '/data/a.safetensors',
      `${ROOT}/../../etc/shadow`,
      ROOT, // the root itself
    ].map((localPath) => modelRecord({ id: localPath, localPath, status: 'completed' }))
    const { handlers } = setUp(outside)
    for (const record of outside) {
      const err = await rejection(handlers['shell:reveal']({ id: record.id }))
      expect(err.code, record.localPath).toBe('forbidden')
      expect(err.message).toMatch(/outside the models root|"\.\." segments/)
    }
    expect(fake.shell.showItemInFolder).not.toHaveBeenCalled()
  })
})
