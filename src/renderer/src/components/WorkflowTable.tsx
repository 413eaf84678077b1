// The models of an opened workflow, as `modeldl workflow` prints them: model, folder, state, source,
// size. A handful of rows, so a plain table; each row follows the queue's record for its path once
// it is queued, so the user watches the missing ones land without leaving the view.
import type { OpenedWorkflow, ResolvedWorkflowModel } from '../../../shared/workflow'
import { formatBytes } from '../lib/format'
import { workflowRowState, workflowSourceText, type WorkflowTone } from '../lib/workflow-rows'
import { useAppStore } from '../store/context'
import { queueableIndexes } from '../store/workflow-slice'
import { ProgressBar } from './ProgressBar'

const TONE: Record<WorkflowTone, string> = {
  ok: 'text-green-700 dark:text-green-400',
  available: 'text-accent dark:text-blue-400',
  active: 'text-accent dark:text-blue-400',
  warn: 'text-amber-700 dark:text-amber-400',
  bad: 'text-red-700 dark:text-red-400',
  quiet: 'text-zinc-600 dark:text-zinc-300',
}

const DOT: Record<WorkflowTone, string> = {
  ok: 'bg-green-600 dark:bg-green-500',
  available: 'border border-accent dark:border-blue-400',
  active: 'bg-accent',
  warn: 'border border-amber-500',
  bad: 'bg-red-600 dark:bg-red-500',
  quiet: 'border border-zinc-400',
}

export function WorkflowTable({
  opened,
  selected,
}: {
  opened: OpenedWorkflow
  selected: ReadonlySet<number>
}) {
  const toggle = useAppStore((s) => s.toggleWorkflowModel)
  const setSelection = useAppStore((s) => s.setWorkflowSelection)
  const records = useAppStore((s) => s.records)
  // A model the queue already holds (or has finished) is not offered again; a failed or cancelled one is.
  const queueable = queueableIndexes(opened).filter((i) => {
    const status = records.get(opened.models[i]!.localPath!)?.status
    return status === undefined || status === 'failed' || status === 'cancelled'
  })
  const all = queueable.length > 0 && queueable.every((i) => selected.has(i))
  return (
    <table aria-label="Models in the workflow" className="w-full table-fixed border-collapse">
      <colgroup>
        <col className="w-9" />
        <col />
        <col className="w-32" />
        <col className="w-56" />
        <col />
        <col className="w-24" />
      </colgroup>
      <thead className="sticky top-0 z-10 bg-white text-left text-xs font-medium text-zinc-500 dark:bg-zinc-900 dark:text-zinc-400">
        <tr className="h-8 border-b border-zinc-200 dark:border-zinc-700">
          <th scope="col" className="pl-3">
            <input
              type="checkbox"
              className="size-3.5 accent-(--color-accent)"
              aria-label="Select every model that can be downloaded"
              checked={all}
              disabled={queueable.length === 0}
              onChange={() => setSelection(all ? [] : queueable)}
            />
          </th>
          <th scope="col" className="font-medium">
            Model
          </th>
          <th scope="col" className="font-medium">
            Folder
          </th>
          <th scope="col" className="font-medium">
            State
          </th>
          <th scope="col" className="font-medium">
            Source
          </th>
          <th scope="col" className="pr-3 text-right font-medium">
            Size
          </th>
        </tr>
      </thead>
      <tbody>
        {opened.models.map((m, i) => (
          <WorkflowRow
            key={`${m.folder}/${m.name}/${i}`}
            model={m}
            s3Source={opened.s3Source}
            selectable={queueable.includes(i)}
            selected={selected.has(i)}
            onToggle={() => toggle(i)}
          />
        ))}
      </tbody>
    </table>
  )
}

function WorkflowRow({
  model: m,
  s3Source,
  selectable,
  selected,
  onToggle,
}: {
  model: ResolvedWorkflowModel
  s3Source: string | undefined
  selectable: boolean
  selected: boolean
  onToggle: () => void
}) {
  const record = useAppStore((s) => (m.localPath ? s.records.get(m.localPath) : undefined))
  const state = workflowRowState(m, record)
  const source = workflowSourceText(m, s3Source)
  const sourceTitle = m.state === 'installed' ? m.localPath : (m.s3Uri ?? m.url)
  // A URL model's size is known once the service has looked it up and queued it.
  const size = m.size ?? record?.expectedSize
  return (
    <tr
      aria-label={m.name}
      className="h-9 border-b border-zinc-100 hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/50"
    >
      <td className="pl-3">
        <input
          type="checkbox"
          className="size-3.5 accent-(--color-accent)"
          aria-label={`Select ${m.name}`}
          checked={selected}
          disabled={!selectable}
          onChange={onToggle}
        />
      </td>
      <td className="truncate pr-2 font-medium text-zinc-900 dark:text-zinc-50" title={m.name}>
        {m.name}
      </td>
      <td className="truncate pr-2 font-mono text-xs" title={m.folder}>
        {m.folder}
      </td>
      <td className="pr-2" title={state.detail ?? stateTitle(m)}>
        <span className={`inline-flex max-w-full items-center gap-1.5 font-medium ${TONE[state.tone]}`}>
          <span
            aria-hidden="true"
            className={`inline-block size-2 shrink-0 rounded-full ${DOT[state.tone]}`}
          />
          <span data-workflow-state={state.word} className="truncate">
            {state.word}
          </span>
          {state.percent !== undefined && <span className="tabular-nums">{state.percent}%</span>}
        </span>
        {state.percent !== undefined && (
          <ProgressBar label={`${m.name} progress`} percent={state.percent} className="mt-0.5 w-40" />
        )}
      </td>
      <td className="muted truncate pr-2 font-mono text-xs" title={sourceTitle}>
        {source}
      </td>
      <td className="pr-3 text-right tabular-nums">{size === undefined ? '—' : formatBytes(size)}</td>
    </tr>
  )
}

/** Why a row cannot be ticked, where that is not plain from its word. */
function stateTitle(m: ResolvedWorkflowModel): string | undefined {
  if (m.state === 'url' && !m.localPath)
    return 'Only at its URL, and the workflow does not say which folder it goes in'
  if (m.state === 'url')
    return `From its URL into ${m.folder}/ (its size is asked of the host when it is queued)`
  if (m.state === 'not_found' && m.folder === 'unknown')
    return 'The workflow does not say which folder this goes in, and no folder or S3 object has it'
  return undefined
}
