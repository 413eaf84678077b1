// Everything the shell stores, edited as text and checked as it is typed with the same schema the
// service applies; the service's own rejection, if any, is shown above the buttons.
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react'
import type { TestConnectionResult } from '../../../shared/api-contract'
import type { SettingsView } from '../../../shared/settings'
import { errorMessage } from '../lib/format'
import {
  checkDraft,
  draftFrom,
  isEmptyPatch,
  type DraftField,
  type SettingsDraft,
} from '../lib/settings-form'
import { useAppStore, useCommands } from '../store/context'

export function SettingsScreen() {
  const view = useAppStore((s) => s.settings)
  if (!view) {
    return (
      <div role="status" className="muted p-6">
        Loading settings…
      </div>
    )
  }
  return <SettingsForm view={view} />
}

function SettingsForm({ view }: { view: SettingsView }) {
  const commands = useCommands()
  const notificationsAvailable = useAppStore((s) => s.appInfo?.capabilities.notifications ?? false)
  const [saved, setSaved] = useState(view)
  const [draft, setDraft] = useState(() => draftFrom(view.settings))
  const [touched, setTouched] = useState<ReadonlySet<DraftField>>(new Set())
  const [submitted, setSubmitted] = useState(false)
  const [serverError, setServerError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const [testing, setTesting] = useState(false)
  const [testResult, setTestResult] = useState<TestConnectionResult | null>(null)

  const check = useMemo(() => checkDraft(draft, view), [draft, view])
  const dirty = !isEmptyPatch(check.changed)

  // Settings changed elsewhere (the CLI, another window): take them unless the user is editing. Editing
  // means the draft differs from what was saved before this change; compared with the new settings, an
  // untouched form would look edited and keep showing (and on Save, restore) the old values.
  useEffect(() => {
    if (view === saved) return
    const editing = !isEmptyPatch(checkDraft(draft, saved).changed)
    setSaved(view)
    if (!editing) setDraft(draftFrom(view.settings))
  }, [view, saved, draft])

  const set = <K extends DraftField>(field: K, value: SettingsDraft[K]) => {
    setDraft((d) => ({ ...d, [field]: value }))
    setTouched((t) => (t.has(field) ? t : new Set(t).add(field)))
    setNotice(null)
  }
  const errorOf = (field: DraftField) => (submitted || touched.has(field) ? check.errors[field] : undefined)
  const errorCount = Object.keys(check.errors).length

  const save = async () => {
    setSubmitted(true)
    setServerError(null)
    setNotice(null)
    if (errorCount > 0 || !dirty) return
    setSaving(true)
    try {
      const next = await commands.saveSettings(check.changed)
      setSaved(next)
      setDraft(draftFrom(next.settings))
      setTouched(new Set())
      setSubmitted(false)
      setNotice('Saved.')
    } catch (e) {
      setServerError(errorMessage(e))
    } finally {
      setSaving(false)
    }
  }

  const test = async () => {
    setTesting(true)
    setTestResult(null)
    try {
      setTestResult(await commands.testConnection({ s3: check.full.s3, sourceUri: check.full.sourceUri }))
    } finally {
      setTesting(false)
    }
  }

  const text = (field: DraftField, label: string, help?: ReactNode, props: Partial<InputProps> = {}) => (
    <Field label={label} help={help} error={errorOf(field)}>
      {(a11y) => (
        <input
          {...a11y}
          className="input w-full"
          type={props.type ?? 'text'}
          inputMode={props.inputMode}
          placeholder={props.placeholder}
          autoComplete="off"
          spellCheck={false}
          value={draft[field] as string}
          onChange={(e) => set(field, e.target.value as never)}
        />
      )}
    </Field>
  )
  const check_ = (
    field: 'forcePathStyle' | 'notifications' | 'compressedSiblings',
    label: string,
    help?: ReactNode,
    disabled = false,
  ) => (
    <Field label={label} help={help} error={errorOf(field)} inline>
      {(a11y) => (
        <input
          {...a11y}
          type="checkbox"
          className="size-4 accent-(--color-accent)"
          checked={draft[field]}
          disabled={disabled}
          onChange={(e) => set(field, e.target.checked)}
        />
      )}
    </Field>
  )

  return (
    <form
      aria-label="Settings"
      className="flex min-h-0 flex-1 flex-col"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-3xl px-4 py-4">
          <Section title="S3 source">
            {text(
              'endpoint',
              'Endpoint',
              'Empty for AWS; a URL for MinIO, R2, B2 or another S3-compatible store.',
              {
                placeholder: 'https://s3.example.com',
              },
            )}
            {text(
              'region',
              'Region',
              'Empty to take it from the AWS configuration (AWS_REGION, the profile).',
              {
                placeholder: 'us-east-1',
              },
            )}
            {text('bucket', 'Bucket', 'Used for config paths that name no bucket (the old AWS_BUCKET_NAME).')}
            {text('profile', 'AWS profile', 'A profile from ~/.aws/config; empty for the default chain.')}
            {check_('forcePathStyle', 'Path-style addressing', 'Needed by most self-hosted stores (MinIO).')}
            <CredentialsFields
              view={view}
              draft={draft}
              set={set}
              errorOf={errorOf}
              onClearKeys={async () => {
                try {
                  await commands.saveSettings({ s3: { clearKeys: true } })
                  setNotice('Stored keys forgotten.')
                } catch (e) {
                  setServerError(errorMessage(e))
                }
              }}
            />
            {text('sourceUri', 'Source', 'The S3 prefix Browse source lists, such as s3://bucket/models/.', {
              placeholder: 's3://bucket/models/',
            })}
          </Section>
          <Section title="Local folders">
            {text('modelsRoot', 'Models root', 'Every local path must sit inside it.')}
            {text(
              'networkVolume',
              'NETWORK_VOLUME',
              'Replaces {{NETWORK_VOLUME}} in configs; empty to use the environment variable.',
            )}
          </Section>
          <Section title="Transfers">
            {text('concurrency', 'Downloads at once', '1 to 64.', { inputMode: 'numeric' })}
            {text(
              'connectionsPerFile',
              'Connections per file',
              '0 picks for you: 1 for a local endpoint, 4 otherwise.',
              {
                inputMode: 'numeric',
              },
            )}
            {text('partSizeMiB', 'Part size (MiB)', 'Bytes per ranged request: 5 to 5120 MiB.', {
              inputMode: 'numeric',
            })}
            {text('bandwidthMBps', 'Bandwidth limit (MB/s)', 'Shared by every download; 0 for no limit.', {
              inputMode: 'decimal',
            })}
          </Section>
          <Section title="Behaviour">
            {check_(
              'notifications',
              'Notify when a model lands',
              notificationsAvailable ? undefined : 'Only the desktop app can show system notifications.',
              !notificationsAvailable,
            )}
            {check_(
              'compressedSiblings',
              'Use compressed copies',
              'Fetch <key>.tar.zst instead when the store has one, and unpack it.',
            )}
            {text(
              'modelExtensions',
              'Model file types',
              'What Browse source lists as models, separated by commas.',
            )}
          </Section>
        </div>
      </div>
      <div className="border-t border-zinc-200 px-4 py-2.5 dark:border-zinc-700/70">
        <div className="mx-auto flex max-w-3xl flex-wrap items-center gap-2">
          <button type="submit" className="btn btn-primary" disabled={saving || !dirty}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          <button
            type="button"
            className="btn"
            disabled={!dirty || saving}
            onClick={() => {
              setDraft(draftFrom(view.settings))
              setTouched(new Set())
              setSubmitted(false)
              setServerError(null)
            }}
          >
            Revert
          </button>
          <button
            type="button"
            className="btn"
            disabled={testing || !!check.errors.endpoint || !!check.errors.bucket}
            onClick={() => void test()}
          >
            {testing ? 'Testing…' : 'Test connection'}
          </button>
          <div className="min-w-0 flex-1 text-right" aria-live="polite">
            {submitted && errorCount > 0 && (
              <span className="text-red-700 dark:text-red-400">
                {errorCount === 1 ? 'One field needs' : `${errorCount} fields need`} fixing before saving.
              </span>
            )}
            {notice && <span className="text-green-700 dark:text-green-400">{notice}</span>}
          </div>
        </div>
        {serverError && (
          <p role="alert" className="mx-auto mt-2 max-w-3xl text-red-700 dark:text-red-400">
            Not saved: {serverError}
          </p>
        )}
        {testResult && (
          <p
            role="status"
            className={`mx-auto mt-2 max-w-3xl ${testResult.ok ? 'text-green-700 dark:text-green-400' : 'text-red-700 dark:text-red-400'}`}
          >
            {testResult.ok ? 'Connection works' : 'Connection failed'}
            {testResult.elapsedMs > 0 && (
              <span className="tabular-nums"> ({testResult.elapsedMs} ms)</span>
            )}: {testResult.message}
          </p>
        )}
      </div>
    </form>
  )
}

interface InputProps {
  type: string
  inputMode: 'numeric' | 'decimal' | 'text'
  placeholder: string
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="mb-5">
      <legend className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">
        {title}
      </legend>
      <div className="flex flex-col gap-3">{children}</div>
    </fieldset>
  )
}

interface A11yProps {
  id: string
  'aria-invalid': boolean
  'aria-describedby': string | undefined
}

function Field({
  label,
  help,
  error,
  inline = false,
  children,
}: {
  label: string
  help?: ReactNode
  error?: string
  inline?: boolean
  children: (a11y: A11yProps) => ReactNode
}) {
  const id = useId()
  const helpId = `${id}-help`
  const errorId = `${id}-error`
  const describedBy = [error ? errorId : null, help ? helpId : null].filter(Boolean).join(' ') || undefined
  const control = children({ id, 'aria-invalid': !!error, 'aria-describedby': describedBy })
  return (
    <div className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[12rem_1fr]">
      <label
        htmlFor={id}
        className={`font-medium text-zinc-800 dark:text-zinc-200 ${inline ? 'sm:pt-0' : 'sm:pt-1'}`}
      >
        {label}
      </label>
      <div className="min-w-0">
        {inline ? <div className="flex h-5 items-center">{control}</div> : control}
        {error && (
          <p id={errorId} className="mt-1 text-xs text-red-700 dark:text-red-400">
            {label}: {error}
          </p>
        )}
        {help && (
          <p id={helpId} className="muted mt-1 text-xs">
            {help}
          </p>
        )}
      </div>
    </div>
  )
}

function CredentialsFields({
  view,
  draft,
  set,
  errorOf,
  onClearKeys,
}: {
  view: SettingsView
  draft: SettingsDraft
  set: <K extends DraftField>(field: K, value: SettingsDraft[K]) => void
  errorOf: (field: DraftField) => string | undefined
  onClearKeys: () => Promise<void>
}) {
  const name = useId()
  const hint = view.settings.s3.accessKeyHint
  const error = errorOf('credentials')
  return (
    <>
      <fieldset className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[12rem_1fr]">
        <legend className="contents">
          <span className="font-medium text-zinc-800 dark:text-zinc-200">Credentials</span>
        </legend>
        <div className="flex flex-col gap-1 sm:col-start-2">
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name={name}
              className="accent-(--color-accent)"
              checked={draft.credentials === 'chain'}
              onChange={() => set('credentials', 'chain')}
            />
            AWS credential chain (environment, profiles, SSO)
          </label>
          <label className={`flex items-center gap-2 ${view.keyStorage.available ? '' : 'muted'}`}>
            <input
              type="radio"
              name={name}
              className="accent-(--color-accent)"
              checked={draft.credentials === 'keys'}
              disabled={!view.keyStorage.available && draft.credentials !== 'keys'}
              onChange={() => set('credentials', 'keys')}
            />
            Access keys stored encrypted by this app
          </label>
          {!view.keyStorage.available && (
            <p className="muted text-xs">
              Keys cannot be stored here.{' '}
              {view.keyStorage.reason ?? 'This machine has no secure storage for them.'}
            </p>
          )}
          {error && <p className="text-xs text-red-700 dark:text-red-400">Credentials: {error}</p>}
        </div>
      </fieldset>
      {draft.credentials === 'keys' && view.keyStorage.available && (
        <>
          <Field
            label="Access key id"
            error={errorOf('accessKeyId')}
            help={
              hint
                ? `Stored: ${hint}… Type new keys to replace them.`
                : 'Stored encrypted; never shown again.'
            }
          >
            {(a11y) => (
              <input
                {...a11y}
                className="input w-full font-mono"
                autoComplete="off"
                spellCheck={false}
                value={draft.accessKeyId}
                onChange={(e) => set('accessKeyId', e.target.value)}
              />
            )}
          </Field>
          <Field label="Secret access key" error={errorOf('secretAccessKey')}>
            {(a11y) => (
              <input
                {...a11y}
                type="password"
                className="input w-full font-mono"
                autoComplete="new-password"
                value={draft.secretAccessKey}
                onChange={(e) => set('secretAccessKey', e.target.value)}
              />
            )}
          </Field>
          {hint && (
            <div className="sm:pl-[13rem]">
              <button type="button" className="btn" onClick={() => void onClearKeys()}>
                Forget stored keys
              </button>
            </div>
          )}
        </>
      )}
    </>
  )
}
