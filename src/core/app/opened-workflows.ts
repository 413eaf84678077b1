// The workflows windows have opened, as the service resolved them: URLs with their tokens, which a
// window never sees (it gets printableUrl's masked copy). workflow:download names one by its id and
// the entries are built from this copy, on this side.
import { randomUUID } from 'node:crypto'
import type { ResolvedWorkflowModel } from '../../shared/workflow'

/** Workflows kept: a window downloads from the one it shows; a few windows or tabs may each show one. */
export const KEPT_WORKFLOWS = 8

export class OpenedWorkflows {
  private readonly kept = new Map<string, readonly ResolvedWorkflowModel[]>()

  constructor(private readonly limit = KEPT_WORKFLOWS) {}

  /** Keeps a resolution and answers its id; the oldest one goes when more than `limit` are kept. */
  keep(models: readonly ResolvedWorkflowModel[]): string {
    const id = randomUUID()
    this.kept.set(id, models)
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= this.limit) break
      this.kept.delete(oldest)
    }
    return id
  }

  get(id: string): readonly ResolvedWorkflowModel[] | undefined {
    return this.kept.get(id)
  }
}
