import { ACTIVE_STATUSES, type ModelRecord } from '../../shared/service-contract'

export interface DesktopNotification {
  title: string
  body: string
  /** The row to show when the notification is clicked. */
  focusId: string
}

export interface CompletionNotifierOptions {
  show(notification: DesktopNotification): void
  /** Read when a batch of notifications goes out, so turning them off takes effect at once. */
  enabled(): boolean
  /** Models ending within this window after the first share one notification. */
  windowMs?: number
}

const MAX_NAMES = 3

function names(records: ModelRecord[]): string {
  const shown = records.slice(0, MAX_NAMES).map((r) => r.modelName)
  const more = records.length - shown.length
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ')
}

/**
 * Turns the service's change events into OS notifications: one when a model finishes downloading,
 * one when it fails; models that end close together share one ("5 models downloaded"). Only an end
 * this session watched counts: a model found complete at enqueue, or one reloaded already finished,
 * is no news.
 */
export class CompletionNotifier {
  private readonly lastStatus = new Map<string, ModelRecord['status']>()
  private completed: ModelRecord[] = []
  private failed: ModelRecord[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly options: CompletionNotifierOptions) {}

  observe(records: readonly ModelRecord[]): void {
    for (const r of records) {
      const before = this.lastStatus.get(r.id)
      this.lastStatus.set(r.id, r.status)
      if (before === r.status) continue
      // Unknown before: it was loaded from the state file while running, or arrived from a socket
      // owner mid-way; one that was ever started is a real end.
      const wasActive = before !== undefined ? ACTIVE_STATUSES.includes(before) : r.startedAt !== undefined
      if (!wasActive) continue
      if (r.status === 'completed') this.completed.push(r)
      else if (r.status === 'failed') this.failed.push(r)
      else continue
      this.timer ??= setTimeout(() => this.flush(), this.options.windowMs ?? 1_500)
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private flush(): void {
    this.timer = null
    const completed = this.completed
    const failed = this.failed
    this.completed = []
    this.failed = []
    if (!this.options.enabled()) return
    if (completed.length === 1) {
      const r = completed[0]!
      this.options.show({ title: 'Model downloaded', body: `${r.modelName} (${r.group})`, focusId: r.id })
    } else if (completed.length > 1) {
      this.options.show({
        title: `${completed.length} models downloaded`,
        body: names(completed),
        focusId: completed[0]!.id,
      })
    }
    if (failed.length === 1) {
      const r = failed[0]!
      this.options.show({
        title: 'Download failed',
        body: `${r.modelName}: ${r.errorMessage ?? 'see the app for details'}`,
        focusId: r.id,
      })
    } else if (failed.length > 1) {
      this.options.show({
        title: `${failed.length} downloads failed`,
        body: names(failed),
        focusId: failed[0]!.id,
      })
    }
  }
}
