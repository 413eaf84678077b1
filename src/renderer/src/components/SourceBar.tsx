// Which model config is loaded and which S3 locations it points at; where to load another from; and,
// when a config was rejected, every problem with its entry and field.
import type { ConfigSource } from '../../../shared/api-contract'
import { formatCount } from '../lib/format'
import { useAppStore, useCommands } from '../store/context'
import { AddUrlButton } from './AddUrlButton'
import { OpenConfigButton } from './OpenConfigButton'
import { OpenWorkflowButton } from './OpenWorkflowButton'
import { CloseIcon } from './icons'

export function describeSource(source: ConfigSource): { name: string; title: string } {
  switch (source.kind) {
    case 'file': {
      const name = source.path.split(/[\\/]/).pop() || source.path
      return { name, title: source.path }
    }
    case 'text':
      return { name: source.name, title: `${source.name} (opened in the browser)` }
    case 'sample':
      return {
        name: 'Example config',
        title: 'The sample config shipped with the app: its objects are not on your store',
      }
  }
}

export function SourceBar() {
  const config = useAppStore((s) => s.config)
  const count = useAppStore((s) => s.models.size)
  const loading = useAppStore((s) => s.configLoading)
  const recent = useAppStore((s) => s.recent)
  const commands = useCommands()
  const source = config ? describeSource(config.source) : null
  return (
    <section aria-label="Model config" className="border-b border-zinc-200 dark:border-zinc-700/70">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5 px-3 py-2">
        <div className="flex min-w-0 items-baseline gap-2">
          <span className="muted text-xs tracking-wide uppercase">Config</span>
          {source ? (
            <span className="truncate font-semibold text-zinc-900 dark:text-zinc-50" title={source.title}>
              {source.name}
            </span>
          ) : (
            <span className="muted">none loaded</span>
          )}
          {config && (
            <span className="muted shrink-0 text-xs tabular-nums">
              {config.format} · {formatCount(count, 'model')}
            </span>
          )}
          {loading && <span className="muted shrink-0 text-xs">Loading…</span>}
        </div>
        {config && config.sources.length > 0 && (
          <ul aria-label="S3 sources" className="flex min-w-0 flex-wrap gap-1.5">
            {config.sources.map((uri) => (
              <li
                key={uri}
                className="max-w-80 truncate rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"
                title={uri}
              >
                {uri}
              </li>
            ))}
          </ul>
        )}
        <div className="ml-auto flex items-center gap-2">
          {recent.length > 0 && (
            <select
              className="input max-w-52"
              aria-label="Recent configs"
              value=""
              disabled={loading}
              onChange={(e) => {
                if (e.target.value) void commands.openConfigPath(e.target.value)
              }}
            >
              <option value="">Recent…</option>
              {recent.map((path) => (
                <option key={path} value={path} title={path}>
                  {path}
                </option>
              ))}
            </select>
          )}
          {config && (
            <button type="button" className="btn btn-quiet" onClick={() => void commands.refreshLocal()}>
              Check disk
            </button>
          )}
          <AddUrlButton>Add URL…</AddUrlButton>
          <OpenWorkflowButton>Open workflow…</OpenWorkflowButton>
          <OpenConfigButton>Open config…</OpenConfigButton>
        </div>
      </div>
      {config?.source.kind === 'sample' && <SampleNotice />}
      <ConfigProblemPanel />
    </section>
  )
}

/**
 * The sample shows what the window does with a real model list, but its objects live in a fictional
 * bucket: said before anyone presses Download, so a row of "Not found" is no surprise.
 */
function SampleNotice() {
  return (
    <div
      role="note"
      aria-label="About the example config"
      className="mx-3 mb-2 flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950 dark:border-amber-700/70 dark:bg-amber-950/40 dark:text-amber-100"
    >
      <p className="min-w-0 flex-1">
        <strong className="font-semibold">Example — objects are not on your store.</strong> These are
        well-known model names in a made-up bucket, to show how the window works: downloading them fails with
        &ldquo;Not found&rdquo; unless your store has the same keys. Open your own config to download.
      </p>
      <OpenConfigButton>Open your config…</OpenConfigButton>
    </div>
  )
}

function ConfigProblemPanel() {
  const problem = useAppStore((s) => s.configProblem)
  const setConfigProblem = useAppStore((s) => s.setConfigProblem)
  if (!problem) return null
  return (
    <div
      role="alert"
      className="mx-3 mb-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200"
    >
      <div className="flex items-start gap-2">
        <p className="flex-1">
          <strong className="font-semibold">The config was not loaded.</strong>{' '}
          {/* The service's message lists every problem too: with the list below, a count is enough. */}
          {problem.issues.length > 0
            ? `${formatCount(problem.issues.length, 'problem')} in its entries. Fix these and open it again:`
            : problem.message}
        </p>
        <button
          type="button"
          className="icon-btn text-red-900 dark:text-red-200"
          aria-label="Dismiss config problems"
          onClick={() => setConfigProblem(null)}
        >
          <CloseIcon />
        </button>
      </div>
      {problem.issues.length > 0 && (
        // A list, not a table: the window's only table rows are models.
        <ul aria-label="Config problems" className="mt-1.5 grid grid-cols-[auto_auto_1fr] gap-x-4 text-xs">
          {problem.issues.slice(0, 50).map((issue, i) => (
            <li key={i} className="col-span-3 grid grid-cols-subgrid py-0.5">
              <span className="font-mono">{issue.entry}</span>
              <span className="font-mono">{issue.field}</span>
              <span>{issue.message}</span>
            </li>
          ))}
        </ul>
      )}
      {problem.issues.length > 50 && (
        <p className="mt-1 text-xs">…and {problem.issues.length - 50} more problems of the same kind.</p>
      )}
    </div>
  )
}
