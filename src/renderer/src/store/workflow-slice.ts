// The workflow the window has open: the service's resolution of it (read once, not followed: the
// rows follow the queue's records instead), which rows are ticked, or why it could not be opened.
import { isQueueable, isUrlQueueable, type OpenedWorkflow } from '../../../shared/workflow'

export type WorkflowView =
  | { status: 'closed' }
  | { status: 'opening'; name: string }
  | { status: 'open'; opened: OpenedWorkflow; selected: ReadonlySet<number> }
  | { status: 'failed'; name: string; message: string }

export interface WorkflowSlice {
  workflow: WorkflowView
}

export interface WorkflowActions {
  workflowOpening(name: string): void
  /** The missing ones that can be fetched start ticked, as the issue asks: one click downloads them. */
  workflowOpened(opened: OpenedWorkflow): void
  workflowFailed(name: string, message: string): void
  /** Ticks or unticks a row (by its index in the resolution); rows that cannot be queued stay unticked. */
  toggleWorkflowModel(index: number): void
  setWorkflowSelection(indexes: readonly number[]): void
  closeWorkflow(): void
}

type Set = (change: (s: WorkflowSlice) => Partial<WorkflowSlice>) => void

export function workflowSlice(set: Set): WorkflowSlice & WorkflowActions {
  const withOpen = (change: (w: Extract<WorkflowView, { status: 'open' }>) => ReadonlySet<number>) =>
    set((s) =>
      s.workflow.status === 'open' ? { workflow: { ...s.workflow, selected: change(s.workflow) } } : {},
    )
  return {
    workflow: { status: 'closed' },
    workflowOpening: (name) => set(() => ({ workflow: { status: 'opening', name } })),
    workflowOpened: (opened) =>
      set(() => ({ workflow: { status: 'open', opened, selected: new Set(queueableIndexes(opened)) } })),
    workflowFailed: (name, message) => set(() => ({ workflow: { status: 'failed', name, message } })),
    toggleWorkflowModel: (index) =>
      withOpen((w) => {
        const selected = new Set(w.selected)
        if (!selected.delete(index) && queueableIndexes(w.opened).includes(index)) selected.add(index)
        return selected
      }),
    setWorkflowSelection: (indexes) =>
      withOpen((w) => {
        const allowed = new Set(queueableIndexes(w.opened))
        return new Set(indexes.filter((i) => allowed.has(i)))
      }),
    closeWorkflow: () => set(() => ({ workflow: { status: 'closed' } })),
  }
}

/** Rows the engine can fetch now: from the S3 source, or from their URL. */
export function queueableIndexes(opened: OpenedWorkflow): number[] {
  return opened.models.flatMap((m, i) => (isQueueable(m) || isUrlQueueable(m) ? [i] : []))
}
