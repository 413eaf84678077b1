// What the downloads screen shows before there is anything to list: while connecting, when the service
// cannot be reached, and when no config is loaded yet.
import { useAppStore, useCommands } from '../store/context'
import { OpenConfigButton } from './OpenConfigButton'

export function ConnectionState() {
  const connection = useAppStore((s) => s.connection)
  const commands = useCommands()
  if (connection.state === 'connecting') {
    return (
      <div role="status" className="muted flex flex-1 items-center justify-center">
        Connecting to the download service…
      </div>
    )
  }
  return (
    <div className="flex flex-1 items-center justify-center p-6">
      <div role="alert" className="max-w-lg text-center">
        <h2 className="text-base font-semibold text-zinc-900 dark:text-zinc-50">
          The download service did not answer
        </h2>
        <p className="muted mt-2">{connection.message}</p>
        <p className="muted mt-1">
          If the window was opened by <code className="font-mono">modeldl serve --ui</code>, check that it is
          still running, then try again.
        </p>
        <button type="button" className="btn btn-primary mt-4" onClick={() => void commands.reconnect()}>
          Try again
        </button>
      </div>
    </div>
  )
}

export function EmptyState() {
  const commands = useCommands()
  const setScreen = useAppStore((s) => s.setScreen)
  const loading = useAppStore((s) => s.configLoading)
  return (
    <div className="flex flex-1 items-center justify-center p-6">
      <div className="max-w-lg text-center">
        <h2 className="text-base font-semibold text-zinc-900 dark:text-zinc-50">No model config loaded</h2>
        <p className="muted mt-2">
          A model config lists what to fetch: each model&apos;s S3 path, local path and size, in the old
          system&apos;s nested JSON or as a flat list. Drop a .json file anywhere in this window, or:
        </p>
        <div className="mt-4 flex flex-wrap justify-center gap-2">
          <OpenConfigButton className="btn btn-primary">Open a config…</OpenConfigButton>
          <button
            type="button"
            className="btn"
            disabled={loading}
            onClick={() => void commands.openSampleConfig()}
          >
            Try the sample config
          </button>
          <button type="button" className="btn" onClick={() => setScreen('browse')}>
            Browse an S3 source
          </button>
        </div>
        <p className="muted mt-3 text-xs">
          The sample lists well-known models in a made-up bucket: it shows the window at work, but its files
          are not on your store.
        </p>
      </div>
    </div>
  )
}
