// "Open workflow": the native dialog on the desktop; in a browser a file input whose bytes are sent to
// the service (a browser cannot hand over a path).
import { useRef, type ReactNode } from 'react'
import { useAppStore, useCommands } from '../store/context'

export function OpenWorkflowButton({
  className = 'btn',
  children,
}: {
  className?: string
  children: ReactNode
}) {
  const dialogs = useAppStore((s) => s.appInfo?.capabilities.dialogs ?? false)
  const opening = useAppStore((s) => s.workflow.status === 'opening')
  const commands = useCommands()
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={opening}
        title="A ComfyUI workflow (.json, or a .png saved by ComfyUI): which models it needs, and which are missing"
        onClick={() => (dialogs ? void commands.openWorkflowDialog() : input.current?.click())}
      >
        {children}
      </button>
      {!dialogs && (
        <input
          ref={input}
          type="file"
          accept=".json,.png,application/json,image/png"
          className="hidden"
          data-testid="workflow-file-input"
          aria-label="ComfyUI workflow file"
          onChange={(e) => {
            const file = e.target.files?.[0]
            e.target.value = ''
            if (file) void commands.openWorkflowFile(file)
          }}
        />
      )}
    </>
  )
}
