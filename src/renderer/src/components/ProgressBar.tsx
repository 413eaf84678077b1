// A thin bar in the accent colour; the number beside it is what people read.
import type { DisplayStatus } from '../store/status'

const FILL: Partial<Record<DisplayStatus, string>> = {
  paused: 'bg-amber-500',
  failed: 'bg-red-500',
  cancelled: 'bg-zinc-400 dark:bg-zinc-500',
  completed: 'bg-green-600 dark:bg-green-500',
  installed: 'bg-green-600 dark:bg-green-500',
}

export function ProgressBar({
  label,
  percent,
  status,
  className = '',
}: {
  /** The accessible name, e.g. "flux1-dev.safetensors progress". */
  label: string
  percent: number
  status?: DisplayStatus
  className?: string
}) {
  const fill = (status && FILL[status]) ?? 'bg-accent'
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      className={`h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-700 ${className}`}
    >
      <div className={`h-full rounded-full ${fill}`} style={{ width: `${percent}%` }} />
    </div>
  )
}
