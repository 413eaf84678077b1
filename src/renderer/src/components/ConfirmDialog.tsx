// A small modal question before something that cannot be undone. Focus starts on the safe answer;
// Escape and a click outside mean no.
import { useEffect, useId, useRef, type ReactNode } from 'react'

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel,
  onConfirm,
  onCancel,
}: {
  title: string
  children: ReactNode
  confirmLabel: string
  cancelLabel: string
  onConfirm: () => void
  onCancel: () => void
}) {
  const titleId = useId()
  const bodyId = useId()
  const safe = useRef<HTMLButtonElement>(null)
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null
    safe.current?.focus()
    return () => previous?.focus?.()
  }, [])
  return (
    <div
      className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-900/40 p-4"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onCancel()
      }}
    >
      <div
        ref={box}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        className="w-full max-w-sm rounded-lg border border-zinc-200 bg-white p-4 shadow-xl dark:border-zinc-700 dark:bg-zinc-800"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation()
            onCancel()
          }
          // Keep Tab inside the dialog: it has two buttons.
          if (e.key === 'Tab') {
            const buttons = [...(box.current?.querySelectorAll('button') ?? [])]
            const i = buttons.indexOf(document.activeElement as HTMLButtonElement)
            const next = buttons[(i + (e.shiftKey ? buttons.length - 1 : 1)) % buttons.length]
            if (next) {
              e.preventDefault()
              next.focus()
            }
          }
        }}
      >
        <h2 id={titleId} className="text-sm font-semibold text-zinc-900 dark:text-zinc-50">
          {title}
        </h2>
        <div id={bodyId} className="muted mt-2">
          {children}
        </div>
        <div className="mt-4 flex justify-end gap-2">
          <button ref={safe} type="button" className="btn" onClick={onCancel}>
            {cancelLabel}
          </button>
          <button type="button" className="btn btn-danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  )
}
