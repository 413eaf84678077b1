import { Menu, Tray } from 'electron'
import type { BatchProgress } from '../../shared/service-contract'
import { trayTooltip } from './batch-summary'
import { trayMenuTemplate, type StatusCounts, type TrayActions } from './tray-menu'

/** The tray icon: a menu for the whole queue and a tooltip with the current batch's progress. */
export class TrayController {
  private readonly tray: Tray
  private counts: StatusCounts | null = null
  private tooltip = ''
  private menuBuilt = false

  constructor(
    icon: string,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(icon)
    this.tray.on('click', () => actions.showWindow())
    this.update(null, null)
  }

  update(batch: BatchProgress | null, counts: StatusCounts | null): void {
    const tooltip = trayTooltip(batch)
    if (tooltip !== this.tooltip) {
      this.tooltip = tooltip
      this.tray.setToolTip(tooltip)
    }
    // Menus are rebuilt only when what they enable changes, not on every progress tick (null counts,
    // before the first status arrives, change nothing either; Linux trays flicker on every rebuild).
    const changed = counts !== null && JSON.stringify(counts) !== JSON.stringify(this.counts)
    if (changed) this.counts = counts
    else if (this.menuBuilt) return
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(this.actions, this.counts)))
    this.menuBuilt = true
  }

  destroy(): void {
    this.tray.destroy()
  }
}
