import type { LocalInfo } from '../../shared/api-contract'
import { statModels } from './loaded-config'

interface Tracked {
  id: string
  expectedSize: number
}

const same = (a: LocalInfo | undefined, b: LocalInfo): boolean =>
  a !== undefined && a.state === b.state && a.bytes === b.bytes

/**
 * The local state of every model the window shows (the current config's and the latest scan's), as
 * last told to the window. A refresh stats them again and reports only those whose state changed, so
 * a burst of file events costs the window one small message.
 */
export class LocalStateTracker {
  /** Models by source ('config', 'scan'): a new config or a new scan replaces its own set only. */
  private readonly sources = new Map<string, Map<string, number>>()
  private readonly last = new Map<string, LocalInfo>()
  private refreshing: Promise<void> | null = null
  private refreshAgain = false

  constructor(private readonly onChanged: (changed: Record<string, LocalInfo>) => void) {}

  /** Replaces a source's models; `local` is their state as the window was just told it. */
  replace(source: string, models: readonly Tracked[], local: Record<string, LocalInfo>): void {
    this.sources.set(source, new Map())
    this.add(source, models, local)
    for (const id of this.last.keys()) if (!this.has(id)) this.last.delete(id)
  }

  /** Adds models to a source (a scan's next page). */
  add(source: string, models: readonly Tracked[], local: Record<string, LocalInfo>): void {
    const set = this.sources.get(source) ?? new Map<string, number>()
    this.sources.set(source, set)
    for (const m of models) {
      set.set(m.id, m.expectedSize)
      const info = local[m.id]
      if (info) this.last.set(m.id, info)
    }
  }

  has(id: string): boolean {
    for (const set of this.sources.values()) if (set.has(id)) return true
    return false
  }

  /** Stats these models again (a download ended) and reports the ones that changed. */
  async refresh(ids: readonly string[]): Promise<void> {
    const wanted = ids
      .filter((id) => this.has(id))
      .map((id) => ({ localPath: id, expectedSize: this.size(id) }))
    if (wanted.length > 0) this.report(await statModels(wanted))
  }

  /** Stats every tracked model (the models folder changed). Calls during a refresh coalesce into one more. */
  refreshAll(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true
      return this.refreshing
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false
        const all = [...this.ids()].map((id) => ({ localPath: id, expectedSize: this.size(id) }))
        this.report(await statModels(all))
      } while (this.refreshAgain)
    })().finally(() => (this.refreshing = null))
    return this.refreshing
  }

  private report(fresh: Record<string, LocalInfo>): void {
    const changed: Record<string, LocalInfo> = {}
    let any = false
    for (const [id, info] of Object.entries(fresh)) {
      if (!this.has(id) || same(this.last.get(id), info)) continue
      this.last.set(id, info)
      changed[id] = info
      any = true
    }
    if (any) this.onChanged(changed)
  }

  private ids(): Set<string> {
    const out = new Set<string>()
    for (const set of this.sources.values()) for (const id of set.keys()) out.add(id)
    return out
  }

  /** The config's expected size wins over a scan's when both name one path. */
  private size(id: string): number {
    const fromConfig = this.sources.get('config')?.get(id)
    if (fromConfig !== undefined) return fromConfig
    for (const set of this.sources.values()) {
      const size = set.get(id)
      if (size !== undefined) return size
    }
    return 0
  }
}
