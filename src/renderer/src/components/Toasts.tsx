// Short messages about what just happened. Errors stay longer and are announced at once.
import { useEffect } from 'react'
import type { Toast } from '../store/app-store'
import { useAppStore } from '../store/context'
import { CloseIcon } from './icons'

export const TOAST_MS = { info: 5_000, error: 12_000 } as const

export function Toasts() {
  const toasts = useAppStore((s) => s.toasts)
  const panel = useAppStore((s) => (s.screen === 'settings' ? 'none' : s.queueOpen ? 'open' : 'docked'))
  // Beside the queue panel, not over it: "Queued 3 models" must not hide the queue it talks about.
  // The panel (w-72) is docked from 1200 px and laid over the screen below that when opened (App.tsx).
  const right =
    panel === 'open'
      ? 'right-[19.5rem]'
      : panel === 'docked'
        ? 'right-3 min-[1200px]:right-[19.5rem]'
        : 'right-3'
  // The live regions exist before any message arrives: many screen readers announce only what changes
  // inside a region they already know, not a region that appears with its text.
  return (
    <div
      className={`pointer-events-none fixed bottom-3 z-50 flex w-96 max-w-[calc(100vw-1.5rem)] flex-col gap-2 ${right}`}
    >
      <div role="alert" className="contents">
        {toasts
          .filter((t) => t.kind === 'error')
          .map((t) => (
            <ToastItem key={t.id} toast={t} />
          ))}
      </div>
      <div role="status" className="contents">
        {toasts
          .filter((t) => t.kind !== 'error')
          .map((t) => (
            <ToastItem key={t.id} toast={t} />
          ))}
      </div>
    </div>
  )
}

function ToastItem({ toast }: { toast: Toast }) {
  const dismiss = useAppStore((s) => s.dismissToast)
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), TOAST_MS[toast.kind])
    return () => clearTimeout(timer)
  }, [toast, dismiss])
  const error = toast.kind === 'error'
  return (
    <div
      className={`pointer-events-auto flex items-start gap-2 rounded-md border px-3 py-2 shadow-lg ${
        error
          ? 'border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100'
          : 'border-zinc-200 bg-white text-zinc-800 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-100'
      }`}
    >
      <p className="min-w-0 flex-1 break-words">{toast.message}</p>
      <button
        type="button"
        className="icon-btn -mr-1 size-6"
        aria-label="Dismiss message"
        onClick={() => dismiss(toast.id)}
      >
        <CloseIcon />
      </button>
    </div>
  )
}
