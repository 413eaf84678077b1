import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { trayTooltip, taskbarProgressValue, formatBytes } from '../../../src/main/shell/batch-summary'
import { CANCEL_ALL_DIALOG, confirmCancelAll } from '../../../src/main/shell/confirm-cancel'
import { TrayController } from '../../../src/main/shell/tray-controller'
import { trayMenuTemplate, type StatusCounts, type TrayActions } from '../../../src/main/shell/tray-menu'
import { fake, FakeBrowserWindow, resetFakeElectron, type FakeMenu } from '../support/fake-electron'
import { batchProgress } from '../support/records'

vi.mock('electron', async () => (await import('../support/fake-electron')).electronModule)

function counts(partial: Partial<StatusCounts> = {}): StatusCounts {
  return { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0, ...partial }
}

function actions(): Record<keyof TrayActions, Mock<() => void>> {
  return {
    showWindow: vi.fn(),
    pauseAll: vi.fn(),
    resumeAll: vi.fn(),
    cancelAll: vi.fn(),
    quit: vi.fn(),
  }
}

const enabled = (menu: ReturnType<typeof trayMenuTemplate>) =>
  Object.fromEntries(menu.filter((i) => i.id).map((i) => [i.id, i.enabled !== false]))

beforeEach(() => resetFakeElectron())

describe('tray menu', () => {
  it('offers show, pause, resume, cancel and quit, each calling its action', () => {
    const a = actions()
    const menu = trayMenuTemplate(a, counts({ progress: 1, paused: 1 }))
    expect(menu.map((i) => i.id ?? i.type)).toEqual([
      'show',
      'separator',
      'pause',
      'resume',
      'cancel',
      'separator',
      'quit',
    ])
    for (const [id, action] of [
      ['show', a.showWindow],
      ['pause', a.pauseAll],
      ['resume', a.resumeAll],
      ['cancel', a.cancelAll],
      ['quit', a.quit],
    ] as const) {
      const item = menu.find((i) => i.id === id)!
      ;(item.click as () => void)()
      expect(action, id).toHaveBeenCalledOnce()
    }
  })

  it('greys out what would do nothing now', () => {
    const a = actions()
    expect(enabled(trayMenuTemplate(a, null))).toEqual({
      show: true,
      pause: false,
      resume: false,
      cancel: false,
      quit: true,
    })
    expect(enabled(trayMenuTemplate(a, counts({ completed: 4, failed: 1 })))).toMatchObject({
      pause: false,
      resume: false,
      cancel: false,
    })
    expect(enabled(trayMenuTemplate(a, counts({ queued: 2 })))).toMatchObject({
      pause: true,
      resume: false,
      cancel: true,
    })
    expect(enabled(trayMenuTemplate(a, counts({ progress: 1 })))).toMatchObject({ pause: true, cancel: true })
    expect(enabled(trayMenuTemplate(a, counts({ paused: 3 })))).toMatchObject({
      pause: false,
      resume: true,
      cancel: true,
    })
  })
})

describe('TrayController', () => {
  it('shows the icon with a menu and a tooltip; a click on the icon shows the window', () => {
    const a = actions()
    new TrayController('/res/tray.png', a)
    const tray = fake.trays[0]!
    expect(tray.image).toBe('/res/tray.png')
    expect(tray.tooltip).toBe('Model Downloader')
    expect(tray.menu?.item('pause').enabled).toBe(false)
    tray.emit('click')
    expect(a.showWindow).toHaveBeenCalledOnce()
  })

  it('updates the menu when the counts change and only then; the tooltip follows the batch', () => {
    const a = actions()
    const controller = new TrayController('/res/tray.png', a)
    const tray = fake.trays[0]!
    const running = batchProgress({
      models: 5,
      completed: 2,
      bytesDone: 410,
      bytesTotal: 1000,
      speedBps: 12_300_000,
    })

    controller.update(running, counts({ progress: 1, queued: 2 }))
    expect(tray.tooltip).toBe('Model Downloader — 2 of 5 models · 41% · 12.3 MB/s')
    const menusBefore = tray.menusSet
    const menu = tray.menu as FakeMenu
    expect(menu.item('pause').enabled).toBe(true)
    menu.click('pause')
    expect(a.pauseAll).toHaveBeenCalledOnce()

    // Progress ticks with the same counts do not rebuild the menu.
    controller.update({ ...running, bytesDone: 500 }, counts({ progress: 1, queued: 2 }))
    controller.update({ ...running, bytesDone: 600 }, null)
    expect(tray.menusSet).toBe(menusBefore)
    expect(tray.tooltip).toContain('60%')

    controller.update(running, counts({ paused: 3 }))
    expect(tray.menusSet).toBe(menusBefore + 1)
    expect(tray.menu?.item('pause').enabled).toBe(false)
    expect(tray.menu?.item('resume').enabled).toBe(true)
    expect(() => tray.menu?.click('pause')).toThrow(/disabled/)

    controller.destroy()
    expect(tray.destroyed).toBe(true)
  })
})

describe('batch summary', () => {
  it('says how far the batch is, with failures', () => {
    expect(trayTooltip(null)).toBe('Model Downloader')
    expect(trayTooltip(batchProgress({ models: 2, completed: 2 }))).toBe('Model Downloader') // ended
    expect(trayTooltip(batchProgress({ models: 3, completed: 1, failed: 1, bytesTotal: 0 }))).toBe(
      'Model Downloader — 2 of 3 models · 1 failed',
    )
  })

  it('gives the taskbar a fraction while running, indeterminate without sizes, none once ended', () => {
    expect(taskbarProgressValue(null)).toBe(-1)
    expect(taskbarProgressValue(batchProgress({ bytesDone: 500, bytesTotal: 2000 }))).toBe(0.25)
    expect(taskbarProgressValue(batchProgress({ bytesTotal: 0 }))).toBe(2)
    expect(taskbarProgressValue(batchProgress({ models: 2, completed: 1, cancelled: 1 }))).toBe(-1)
    expect(taskbarProgressValue(batchProgress({ batchId: null }))).toBe(-1)
    expect(taskbarProgressValue(batchProgress({ bytesDone: 3000, bytesTotal: 2000 }))).toBe(1)
  })

  it('formats bytes in decimal units', () => {
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1_500)).toBe('1.5 KB')
    expect(formatBytes(335_304_388)).toBe('335 MB')
    expect(formatBytes(23_800_000_000)).toBe('23.8 GB')
  })
})

describe('cancel-all confirmation', () => {
  it('cancels only when the user picks "Cancel all downloads", asking over the window when there is one', async () => {
    const win = new FakeBrowserWindow()
    fake.dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false })
    expect(await confirmCancelAll(win.asBrowserWindow())).toBe(true)
    expect(fake.dialog.showMessageBox).toHaveBeenLastCalledWith(win, CANCEL_ALL_DIALOG)

    fake.dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false })
    expect(await confirmCancelAll(null)).toBe(false)
    expect(fake.dialog.showMessageBox).toHaveBeenLastCalledWith(CANCEL_ALL_DIALOG)

    // Escape answers cancelId, which keeps the downloads.
    expect(CANCEL_ALL_DIALOG.cancelId).toBe(1)
    expect(CANCEL_ALL_DIALOG.defaultId).toBe(1)
  })
})
