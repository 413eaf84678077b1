// "Add URL": one model from its https address. The service asks the host for the file's name and size
// (never typed: CivitAI names the file in a header, Hugging Face in the path) and says where it lands;
// Download queues it. Enter looks up, then downloads; Escape closes. What went wrong is said here, in
// the dialog, in the service's words.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { COMFY_MODEL_FOLDERS, DEFAULT_URL_FOLDER, type UrlModelInfo } from '../../../shared/url-model'
import { errorMessage, formatBytes } from '../lib/format'
import { useCommands } from '../store/context'

type Phase = 'idle' | 'looking' | 'queuing'

export function AddUrlDialog({ onClose }: { onClose: () => void }) {
  const commands = useCommands()
  const titleId = useId()
  const folderList = useId()
  const box = useRef<HTMLFormElement>(null)
  const urlInput = useRef<HTMLInputElement>(null)
  const [url, setUrl] = useState('')
  const [folder, setFolder] = useState(DEFAULT_URL_FOLDER)
  const [found, setFound] = useState<UrlModelInfo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [phase, setPhase] = useState<Phase>('idle')

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null
    urlInput.current?.focus()
    return () => previous?.focus?.()
  }, [])
  // Escape closes wherever focus is: a button disabled while the host answers drops it to the page.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        onClose()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])
  // A refusal is to be fixed in the URL (or the folder): the caret goes back there.
  const refused = (e: unknown) => {
    setError(errorMessage(e))
    urlInput.current?.focus()
  }

  // What was looked up belongs to the URL and folder it was looked up with.
  const edit = (change: () => void) => {
    change()
    setFound(null)
    setError(null)
  }
  const request = () => ({ url: url.trim(), folder: folder.trim() })

  const lookUp = async () => {
    if (!url.trim()) {
      setError('Paste the model file’s https:// address first.')
      return
    }
    setPhase('looking')
    setError(null)
    try {
      setFound(await commands.lookUpUrl(request()))
    } catch (e) {
      refused(e)
    } finally {
      setPhase('idle')
    }
  }
  const download = async () => {
    setPhase('queuing')
    setError(null)
    try {
      await commands.downloadUrl(request())
      onClose()
    } catch (e) {
      setPhase('idle')
      refused(e)
    }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (phase !== 'idle') return
    void (found ? download() : lookUp())
  }

  return (
    <div
      className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-900/40 p-4"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose()
      }}
    >
      <form
        ref={box}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        noValidate
        className="w-full max-w-lg rounded-lg border border-zinc-200 bg-white p-4 shadow-xl dark:border-zinc-700 dark:bg-zinc-800"
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === 'Tab') trapTab(e, box.current)
        }}
      >
        <h2 id={titleId} className="text-sm font-semibold text-zinc-900 dark:text-zinc-50">
          Download a model from its URL
        </h2>
        <p className="muted mt-1 text-xs">
          A Hugging Face, CivitAI or other https link to the file. Its name and size come from the host.
        </p>
        <label htmlFor={`${titleId}-url`} className="mt-3 block text-xs font-medium">
          URL
        </label>
        <input
          ref={urlInput}
          id={`${titleId}-url`}
          className="input mt-1 w-full font-mono"
          placeholder="https://huggingface.co/org/repo/resolve/main/model.safetensors"
          spellCheck={false}
          autoComplete="off"
          value={url}
          aria-invalid={!!error}
          onChange={(e) => edit(() => setUrl(e.target.value))}
        />
        <label htmlFor={`${titleId}-folder`} className="mt-3 block text-xs font-medium">
          Folder under the models root
        </label>
        <input
          id={`${titleId}-folder`}
          className="input mt-1 w-64 max-w-full font-mono"
          list={folderList}
          spellCheck={false}
          autoComplete="off"
          value={folder}
          onChange={(e) => edit(() => setFolder(e.target.value))}
        />
        <datalist id={folderList}>
          {COMFY_MODEL_FOLDERS.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        {found && <FoundModel info={found} />}
        {error && (
          <p
            role="alert"
            className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200"
          >
            {error}
          </p>
        )}
        <div className="mt-4 flex items-center justify-end gap-2">
          {phase !== 'idle' && (
            <span role="status" className="muted mr-auto text-xs">
              {phase === 'looking' ? 'Asking the host…' : 'Queuing…'}
            </span>
          )}
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Cancel
          </button>
          <button
            type={found ? 'button' : 'submit'}
            className={found ? 'btn' : 'btn btn-primary'}
            disabled={phase !== 'idle'}
            onClick={found ? () => void lookUp() : undefined}
          >
            Look up
          </button>
          <button
            type={found ? 'submit' : 'button'}
            className={found ? 'btn btn-primary' : 'btn'}
            disabled={!found || phase !== 'idle'}
          >
            Download
          </button>
        </div>
      </form>
    </div>
  )
}

function FoundModel({ info }: { info: UrlModelInfo }) {
  return (
    <dl
      aria-label="What the host says"
      className="mt-3 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-xs dark:border-zinc-700 dark:bg-zinc-900/40"
    >
      <dt className="muted">Name</dt>
      <dd className="truncate font-medium text-zinc-900 dark:text-zinc-50" title={info.name}>
        {info.name}
      </dd>
      <dt className="muted">Size</dt>
      <dd className="tabular-nums">{formatBytes(info.size)}</dd>
      <dt className="muted">Lands in</dt>
      <dd className="truncate font-mono" title={info.localPath}>
        {info.localPath}
      </dd>
    </dl>
  )
}

/** Keeps Tab inside the dialog, over its fields and enabled buttons. */
function trapTab(e: KeyboardEvent, box: HTMLElement | null): void {
  const stops = [...(box?.querySelectorAll<HTMLElement>('input, button:not([disabled])') ?? [])]
  const i = stops.indexOf(document.activeElement as HTMLElement)
  const next = stops[(i + (e.shiftKey ? stops.length - 1 : 1)) % stops.length]
  if (next) {
    e.preventDefault()
    next.focus()
  }
}
