// "Open a config": the native dialog on the desktop; in a browser a file input whose text is sent to
// the service (the browser cannot hand over a path).
import { useRef, type ReactNode } from 'react'
import { useAppStore, useCommands } from '../store/context'

/** Reads a dropped or picked file and hands its text to the service. */
export async function loadConfigFile(file: File, load: (name: string, text: string) => Promise<unknown>) {
  await load(file.name, await file.text())
}

export function OpenConfigButton({
  className = 'btn',
  children,
}: {
  className?: string
  children: ReactNode
}) {
  const dialogs = useAppStore((s) => s.appInfo?.capabilities.dialogs ?? false)
  const loading = useAppStore((s) => s.configLoading)
  const commands = useCommands()
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={loading}
        onClick={() => (dialogs ? void commands.openConfigDialog() : input.current?.click())}
      >
        {children}
      </button>
      {!dialogs && (
        <input
          ref={input}
          type="file"
          accept=".json,application/json"
          className="hidden"
          data-testid="config-file-input"
          aria-label="Model config file"
          onChange={(e) => {
            const file = e.target.files?.[0]
            e.target.value = ''
            if (file) void loadConfigFile(file, commands.loadConfigText)
          }}
        />
      )}
    </>
  )
}
