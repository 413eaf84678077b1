// Status by word and colour together, never colour alone.
import type { DisplayStatus } from '../store/status'

const TONE: Record<DisplayStatus, string> = {
  downloading: 'text-accent dark:text-blue-400',
  queued: 'text-zinc-600 dark:text-zinc-300',
  retrying: 'text-amber-700 dark:text-amber-400',
  paused: 'text-amber-700 dark:text-amber-400',
  completed: 'text-green-700 dark:text-green-400',
  installed: 'text-green-700 dark:text-green-400',
  failed: 'text-red-700 dark:text-red-400',
  cancelled: 'text-zinc-500 dark:text-zinc-400',
  missing: 'text-orange-700 dark:text-orange-400',
}

const DOT: Record<DisplayStatus, string> = {
  downloading: 'bg-accent',
  queued: 'border border-zinc-400 dark:border-zinc-400',
  retrying: 'border-2 border-amber-500',
  paused: 'bg-amber-500',
  completed: 'bg-green-600 dark:bg-green-500',
  installed: 'bg-green-600 dark:bg-green-500',
  failed: 'bg-red-600 dark:bg-red-500',
  cancelled: 'bg-zinc-400 dark:bg-zinc-500',
  missing: 'border border-orange-500',
}

export function StatusBadge({ status }: { status: DisplayStatus }) {
  return (
    <span className={`inline-flex items-center gap-1.5 font-medium ${TONE[status]}`}>
      <span aria-hidden="true" className={`inline-block size-2 shrink-0 rounded-full ${DOT[status]}`} />
      <span data-status={status}>{status}</span>
    </span>
  )
}
