import { Notification } from 'electron'
import type { DesktopNotification } from './completion-notifier'

/**
 * Shows notifications through the OS. Each one is held until it is clicked or closed: Electron drops
 * the click handler of a Notification object that was garbage-collected while still on screen.
 */
export class OsNotifications {
  private readonly live = new Set<Notification>()

  constructor(
    private readonly onClick: (focusId: string) => void,
    private readonly icon?: string,
  ) {}

  get supported(): boolean {
    return Notification.isSupported()
  }

  show(n: DesktopNotification): void {
    if (!this.supported) return
    const notification = new Notification({
      title: n.title,
      body: n.body,
      ...(this.icon ? { icon: this.icon } : {}),
    })
    this.live.add(notification)
    notification.on('click', () => {
      this.live.delete(notification)
      this.onClick(n.focusId)
    })
    notification.on('close', () => this.live.delete(notification))
    notification.show()
  }

  dispose(): void {
    for (const n of this.live) n.close()
    this.live.clear()
  }
}
