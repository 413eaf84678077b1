// Where "Save as config" writes, in a browser: a path on the machine that runs the service, which
// saves only where its gate allows (the models root, or a folder named when it started). The desktop
// asks its native save dialog instead.
import { useState } from 'react'

export function WorkflowSaveForm({
  initialPath,
  count,
  onSave,
  onClose,
}: {
  initialPath: string
  count: number
  onSave: (path: string) => void
  onClose: () => void
}) {
  const [path, setPath] = useState(initialPath)
  const [error, setError] = useState<string | null>(null)
  return (
    <form
      aria-label="Save the workflow's models as a config"
      className="flex w-full flex-wrap items-center justify-end gap-2"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        const target = path.trim()
        if (!target.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(target)) {
          setError('must be an absolute path on the machine that runs the service')
          return
        }
        setError(null)
        onSave(target)
      }}
    >
      <label htmlFor="workflow-config-path" className="muted text-xs">
        Save {count} {count === 1 ? 'model' : 'models'} to
      </label>
      <input
        id="workflow-config-path"
        className="input w-96 max-w-full font-mono"
        placeholder="/path/to/models.json"
        spellCheck={false}
        value={path}
        aria-invalid={!!error}
        onChange={(e) => setPath(e.target.value)}
      />
      <button type="submit" className="btn btn-primary">
        Save
      </button>
      <button type="button" className="btn btn-quiet" onClick={onClose}>
        Cancel
      </button>
      {error && (
        <span className="w-full text-right text-xs text-red-700 dark:text-red-400">Config path: {error}</span>
      )}
    </form>
  )
}
