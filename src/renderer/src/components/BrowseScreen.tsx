// Browse an S3 source: list it page by page (the count climbs while pages arrive), see what is
// installed, pick, download, and keep the pick as a model config in the old nested format.
import { useEffect, useState } from 'react'
import { formatCount } from '../lib/format'
import { useAppStore, useCommands, useStoreApi } from '../store/context'
import { missingIds } from '../store/selectors'
import { FolderTree } from './FolderTree'
import { ModelTable } from './ModelTable'
import { OpenConfigButton } from './OpenConfigButton'
import { Toolbar } from './Toolbar'

const S3_URI = /^s3:\/\/[^/]+(\/.*)?$/

export function BrowseScreen() {
  const scan = useAppStore((s) => s.scan)
  const hasModels = scan.models.size > 0
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <ScanForm />
      <ScanStatus />
      {(hasModels || scan.folders.length > 0) && (
        <div className="flex min-h-0 flex-1">
          <FolderTree className="w-48 shrink-0 border-r border-zinc-200 max-[760px]:hidden dark:border-zinc-700/70" />
          <div className="flex min-w-0 flex-1 flex-col">
            <Toolbar view="browse">
              <BrowseActions />
            </Toolbar>
            <ModelTable view="browse" label="Models in the source" />
          </div>
        </div>
      )}
      {!hasModels && scan.status === 'idle' && (
        <p className="muted px-4 py-6">
          Enter an S3 prefix such as <code className="font-mono">s3://bucket/models/</code> and press Scan.
          Folders under it become groups (<code className="font-mono">models/loras/x.safetensors</code> goes
          to the loras folder of the models root), and each model shows whether it is already on this machine.
        </p>
      )}
    </div>
  )
}

function ScanForm() {
  const sourceUri = useAppStore((s) => s.settings?.settings.sourceUri ?? '')
  const scan = useAppStore((s) => s.scan)
  const commands = useCommands()
  const [uri, setUri] = useState(scan.uri || sourceUri)
  const [allTypes, setAllTypes] = useState(scan.allTypes)
  const [edited, setEdited] = useState(false)
  const [error, setError] = useState<string | null>(null)
  // The saved source arrives after the first render on a cold start.
  useEffect(() => {
    if (!edited && !scan.uri) setUri(sourceUri)
  }, [sourceUri, edited, scan.uri])
  const busy = scan.status === 'starting' || scan.status === 'running'
  return (
    <form
      aria-label="Scan a source"
      className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 dark:border-zinc-700/70"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        const value = uri.trim()
        if (!S3_URI.test(value)) {
          setError('Enter an S3 location as s3://bucket/prefix/')
          return
        }
        setError(null)
        void commands.startScan(value, allTypes)
      }}
    >
      <label htmlFor="scan-uri" className="muted text-xs tracking-wide uppercase">
        Source
      </label>
      <input
        id="scan-uri"
        className="input min-w-0 flex-1 font-mono sm:max-w-xl"
        placeholder="s3://bucket/models/"
        spellCheck={false}
        value={uri}
        aria-invalid={!!error}
        aria-describedby={error ? 'scan-uri-error' : undefined}
        onChange={(e) => {
          setUri(e.target.value)
          setEdited(true)
        }}
      />
      <label className="flex items-center gap-2">
        <button
          type="button"
          role="switch"
          aria-checked={allTypes}
          aria-label="Show every object"
          className={`relative inline-flex h-4 w-7 shrink-0 items-center rounded-full transition-colors ${allTypes ? 'bg-accent' : 'bg-zinc-300 dark:bg-zinc-600'}`}
          onClick={() => setAllTypes((v) => !v)}
        >
          <span
            className={`inline-block size-3 rounded-full bg-white shadow transition-transform ${allTypes ? 'translate-x-3.5' : 'translate-x-0.5'}`}
          />
        </button>
        <span aria-hidden="true">Show every object</span>
      </label>
      {busy ? (
        <button type="button" className="btn" onClick={() => void commands.cancelScan()}>
          Cancel scan
        </button>
      ) : (
        <button type="submit" className="btn btn-primary">
          Scan
        </button>
      )}
      {error && (
        <p id="scan-uri-error" className="w-full text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  )
}

/** What a failed listing means for the user, and what to do about it. */
export function explainScanError(error: { code: string; message: string }): string {
  switch (error.code) {
    case 'access_denied':
      return `The store refused to list this location: these credentials lack the ListBucket permission for it. Check the AWS profile or keys in Settings, or load a model config file instead (downloading single objects may still be allowed). (${error.message})`
    case 'credentials_missing':
    case 'credentials_expired':
      return `No valid credentials: ${error.message} Set a profile or keys in Settings, or refresh your SSO login.`
    case 'not_found':
      return `There is no such bucket or location: ${error.message} Check the bucket name and the endpoint in Settings.`
    default:
      return error.message
  }
}

function ScanStatus() {
  const scan = useAppStore((s) => s.scan)
  const setScreen = useAppStore((s) => s.setScreen)
  const modelsRoot = useAppStore((s) => s.settings?.settings.modelsRoot ?? '')
  if (scan.status === 'idle') return null
  const counts = `${formatCount(scan.listed, 'object')} listed · ${formatCount(scan.models.size, 'model')} in ${formatCount(scan.groups.length, 'group')}`
  if (scan.status === 'failed' && scan.error) {
    return (
      <div
        role="alert"
        className="mx-3 my-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200"
      >
        <p>
          <strong className="font-semibold">Could not list {scan.uri}.</strong> {explainScanError(scan.error)}
        </p>
        <div className="mt-2 flex gap-2">
          <OpenConfigButton>Load a config instead…</OpenConfigButton>
          <button type="button" className="btn" onClick={() => setScreen('settings')}>
            Open Settings
          </button>
        </div>
      </div>
    )
  }
  return (
    <div className="muted flex flex-wrap gap-x-3 px-3 py-1.5 text-xs tabular-nums">
      <p role="status">
        {scan.status === 'starting' && `Asking ${scan.uri}…`}
        {scan.status === 'running' && `Listing ${scan.uri} · ${counts} so far`}
        {scan.status === 'done' && `${scan.uri}: ${counts}`}
        {scan.status === 'cancelled' && `Stopped: ${counts} before the scan was cancelled`}
      </p>
      {/* The mapping rule, so nobody has to guess where a pick lands. */}
      {modelsRoot && (
        <p className="ml-auto truncate" title="Change the models root or the model file types in Settings">
          <code className="font-mono">{'<source>/<folder>/…/<file>'}</code> →{' '}
          <code className="font-mono">{`${modelsRoot}/<folder>/…/<file>`}</code>
        </p>
      )}
    </div>
  )
}

function BrowseActions() {
  const store = useStoreApi()
  const commands = useCommands()
  const dialogs = useAppStore((s) => s.appInfo?.capabilities.dialogs ?? false)
  const selected = useAppStore((s) => s.views.browse.selected.size)
  const total = useAppStore((s) => s.scan.models.size)
  const configPath = useAppStore((s) => (s.config?.source.kind === 'file' ? s.config.source.path : ''))
  const modelsRoot = useAppStore((s) => s.settings?.settings.modelsRoot ?? '')
  const [pathFor, setPathFor] = useState<'new' | 'merge' | null>(null)
  const [path, setPath] = useState('')
  const [pathError, setPathError] = useState<string | null>(null)
  const what =
    selected > 0 ? formatCount(selected, 'selected model') : `all ${formatCount(total, 'listed model')}`

  const modelsToSave = () => {
    const s = store.getState()
    const ids = s.views.browse.selected.size > 0 ? [...s.views.browse.selected] : [...s.scan.models.keys()]
    return ids.map((id) => s.scan.models.get(id)).filter((m) => m !== undefined)
  }
  const save = async (mode: 'new' | 'merge', target: string) => {
    const result = await commands.saveConfig({ path: target, mode, models: modelsToSave() })
    if (result) setPathFor(null)
  }
  const begin = async (mode: 'new' | 'merge') => {
    if (dialogs) {
      const chosen = await commands.chooseSavePath()
      if (chosen) await save(mode, chosen)
      return
    }
    // The service saves configs in the models root or a folder named when it started (--config, --config-dir).
    setPath(
      mode === 'merge' ? configPath : modelsRoot ? `${modelsRoot.replace(/[\\/]+$/, '')}/models.json` : '',
    )
    setPathError(null)
    setPathFor(mode)
  }

  return (
    <>
      <button
        type="button"
        className="btn"
        onClick={() => {
          const s = store.getState()
          s.setSelected('browse', missingIds(s, 'browse'), true)
        }}
      >
        Select all missing
      </button>
      <button
        type="button"
        className="btn"
        disabled={total === 0}
        title={`Write ${what} to a new config file`}
        onClick={() => void begin('new')}
      >
        Save as config
      </button>
      <button
        type="button"
        className="btn"
        disabled={total === 0}
        title={`Add ${what} to an existing config file`}
        onClick={() => void begin('merge')}
      >
        Add to config
      </button>
      {pathFor && (
        <form
          aria-label={pathFor === 'new' ? 'Save as config' : 'Add to config'}
          className="flex w-full items-center justify-end gap-2"
          noValidate
          onSubmit={(e) => {
            e.preventDefault()
            const target = path.trim()
            if (!target.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(target)) {
              setPathError('must be an absolute path on the machine that runs the service')
              return
            }
            void save(pathFor, target)
          }}
        >
          <label htmlFor="save-config-path" className="muted text-xs">
            {pathFor === 'new' ? `Save ${what} to` : `Add ${what} to`}
          </label>
          <input
            id="save-config-path"
            className="input w-80 font-mono"
            placeholder="/path/to/models.json"
            spellCheck={false}
            value={path}
            aria-invalid={!!pathError}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" className="btn btn-primary">
            {pathFor === 'new' ? 'Save' : 'Add'}
          </button>
          <button type="button" className="btn btn-quiet" onClick={() => setPathFor(null)}>
            Close
          </button>
          {pathError && (
            <span className="text-xs text-red-700 dark:text-red-400">Config path: {pathError}</span>
          )}
        </form>
      )}
    </>
  )
}
