import type { MenuItemConstructorOptions } from 'electron'
import type { ModelStatus } from '../../shared/service-contract'

export interface TrayActions {
  showWindow(): void
  pauseAll(): void
  resumeAll(): void
  /** Asks for confirmation first: cancelling deletes the partial files. */
  cancelAll(): void
  quit(): void
}

export type StatusCounts = Record<ModelStatus, number>

/** The tray's menu; items that would do nothing right now are greyed out. */
export function trayMenuTemplate(
  actions: TrayActions,
  counts: StatusCounts | null,
): MenuItemConstructorOptions[] {
  const running = counts ? counts.queued + counts.progress : 0
  const paused = counts ? counts.paused : 0
  return [
    { id: 'show', label: 'Show Model Downloader', click: () => actions.showWindow() },
    { type: 'separator' },
    { id: 'pause', label: 'Pause all', enabled: running > 0, click: () => actions.pauseAll() },
    { id: 'resume', label: 'Resume all', enabled: paused > 0, click: () => actions.resumeAll() },
    { id: 'cancel', label: 'Cancel all…', enabled: running + paused > 0, click: () => actions.cancelAll() },
    { type: 'separator' },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  ]
}
