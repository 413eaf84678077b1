// An opened ComfyUI workflow: what it needs and where each model is, the missing ones ticked, one
// "Download missing" through the ordinary queue, and "Save as config" for another machine. Also the
// two moments around it: reading the file, and a file that is not a workflow.
import { useState } from 'react'
import { workflowConfigModels, type OpenedWorkflow } from '../../../shared/workflow'
import { workflowSummary } from '../lib/workflow-rows'
import { useAppStore, useCommands } from '../store/context'
import type { WorkflowView as WorkflowViewState } from '../store/workflow-slice'
import { AddUrlButton } from './AddUrlButton'
import { OpenWorkflowButton } from './OpenWorkflowButton'
import { WorkflowSaveForm } from './WorkflowSaveForm'
import { WorkflowTable } from './WorkflowTable'
import { CloseIcon } from './icons'

const CONTAINER: Record<OpenedWorkflow['container'], string> = {
  json: 'JSON',
  'png:workflow': 'PNG, workflow chunk',
  'png:prompt': 'PNG, prompt chunk',
}

export function WorkflowView({ workflow }: { workflow: Exclude<WorkflowViewState, { status: 'closed' }> }) {
  const close = useAppStore((s) => s.closeWorkflow)
  const name = workflow.status === 'open' ? workflow.opened.name : workflow.name
  return (
    <section aria-label="Workflow" className="flex min-h-0 flex-1 flex-col">
      <header className="flex flex-wrap items-center gap-x-3 gap-y-1.5 border-b border-zinc-200 px-3 py-2 dark:border-zinc-700/70">
        <span className="muted text-xs tracking-wide uppercase">Workflow</span>
        <span className="truncate font-semibold text-zinc-900 dark:text-zinc-50" title={name}>
          {name}
        </span>
        {workflow.status === 'open' && (
          <span className="muted text-xs">
            {workflow.opened.format === 'ui' ? 'editor format' : 'API format'} ·{' '}
            {CONTAINER[workflow.opened.container]}
          </span>
        )}
        <div className="ml-auto flex items-center gap-2">
          <AddUrlButton className="btn btn-quiet">Add URL…</AddUrlButton>
          <OpenWorkflowButton className="btn btn-quiet">Open another…</OpenWorkflowButton>
          <button type="button" className="icon-btn" aria-label="Close the workflow" onClick={close}>
            <CloseIcon />
          </button>
        </div>
      </header>
      {workflow.status === 'opening' && (
        <p role="status" className="muted px-3 py-6">
          Reading {workflow.name} and looking for its models on disk and in the S3 source…
        </p>
      )}
      {workflow.status === 'failed' && (
        <div
          role="alert"
          className="m-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200"
        >
          <p>
            <strong className="font-semibold">The workflow was not opened.</strong> {workflow.message}
          </p>
          <p className="mt-1 text-xs">
            Open a workflow saved by ComfyUI: the editor&apos;s .json (Save or Export), its API .json, or a
            .png it rendered with metadata on.
          </p>
        </div>
      )}
      {workflow.status === 'open' && (
        <OpenedWorkflowBody opened={workflow.opened} selected={workflow.selected} />
      )}
    </section>
  )
}

function OpenedWorkflowBody({ opened, selected }: { opened: OpenedWorkflow; selected: ReadonlySet<number> }) {
  const commands = useCommands()
  const dialogs = useAppStore((s) => s.appInfo?.capabilities.dialogs ?? false)
  const modelsRoot = useAppStore((s) => s.settings?.settings.modelsRoot ?? '')
  const [saving, setSaving] = useState(false)
  const toSave = workflowConfigModels(opened.models)
  const notes = opened.models.flatMap((m) => m.notes.map((note) => ({ name: m.name, note })))

  const save = async (path: string) => {
    const result = await commands.saveConfig({ path, mode: 'new', models: toSave })
    if (result) setSaving(false)
  }
  const beginSave = async () => {
    if (!dialogs) {
      setSaving(true)
      return
    }
    const chosen = await commands.chooseSavePath()
    if (chosen) await save(chosen)
  }
  const defaultPath = modelsRoot
    ? `${modelsRoot.replace(/[\\/]+$/, '')}/${opened.name.replace(/\.(json|png)$/i, '')}.models.json`
    : ''

  return (
    <>
      <div className="flex flex-wrap items-center gap-2 px-3 py-2">
        <p className="muted tabular-nums">{workflowSummary(opened.models)}</p>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <button
            type="button"
            className="btn btn-primary"
            disabled={selected.size === 0}
            onClick={() => void commands.downloadWorkflowSelection()}
          >
            Download missing <span className="tabular-nums opacity-80">({selected.size})</span>
          </button>
          <button
            type="button"
            className="btn"
            disabled={toSave.length === 0}
            title={
              toSave.length === 0
                ? 'None of its models was found in the S3 source'
                : `Write the ${toSave.length} models found in S3 to a model config, for download list on another machine`
            }
            onClick={() => void beginSave()}
          >
            Save as config…
          </button>
        </div>
        {saving && (
          <WorkflowSaveForm
            initialPath={defaultPath}
            count={toSave.length}
            onSave={(path) => void save(path)}
            onClose={() => setSaving(false)}
          />
        )}
      </div>
      <SourceNotice opened={opened} />
      <div className="min-h-0 flex-1 overflow-y-auto">
        <WorkflowTable opened={opened} selected={selected} />
        {notes.length > 0 && (
          <section aria-label="Notes" className="px-3 py-3 text-xs">
            <h3 className="muted mb-1 font-medium tracking-wide uppercase">Notes</h3>
            <ul className="space-y-0.5">
              {notes.map(({ name, note }, i) => (
                <li key={i} className="break-words">
                  <span className="font-mono text-zinc-900 dark:text-zinc-100">{name}</span>
                  <span className="muted">: {note}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </>
  )
}

/** Why nothing could come from S3, when that is so: no source set, or one that could not be listed. */
function SourceNotice({ opened }: { opened: OpenedWorkflow }) {
  const setScreen = useAppStore((s) => s.setScreen)
  if (opened.s3Source && !opened.s3Problem) return null
  return (
    <div
      role="note"
      className="mx-3 mb-2 flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950 dark:border-amber-700/70 dark:bg-amber-950/40 dark:text-amber-100"
    >
      <p className="min-w-0 flex-1">
        {opened.s3Problem ? (
          <>
            <strong className="font-semibold">The S3 source {opened.s3Source} could not be listed:</strong>{' '}
            {opened.s3Problem} The models were matched against the disk and the workflow&apos;s URLs only.
          </>
        ) : (
          <>
            <strong className="font-semibold">No S3 source is set</strong>, so none of these was looked for in
            S3. Browse a source (s3://bucket/prefix/), then open the workflow again.
          </>
        )}
      </p>
      <button type="button" className="btn" onClick={() => setScreen('browse')}>
        Browse an S3 source
      </button>
    </div>
  )
}
