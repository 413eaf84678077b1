// "size only": a completed file of which nothing but its length was checked. A caution, by word, icon
// and colour together, with what to do about it; never a silent "completed".
import type { ModelRecord } from '../../../shared/service-contract'
import { sizeOnlyExplanation } from '../../../shared/verification'

type Why = Pick<ModelRecord, 'etag' | 'linkTo'>

const TONE = 'text-amber-700 dark:text-amber-400'

/** A triangle with an exclamation mark; decoration beside the words. */
function CautionIcon() {
  return (
    <svg
      viewBox="0 0 16 16"
      width="14"
      height="14"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className="shrink-0"
    >
      <path d="M8 2 14.5 13.5h-13L8 2ZM8 6.5v3M8 11.5v.01" />
    </svg>
  )
}

/** The row's compact marker; the tooltip says why and what to do. */
export function SizeOnlyMarker({ record }: { record: Why }) {
  return (
    <span
      className={`inline-flex items-center gap-1 font-medium ${TONE}`}
      title={`Size only. ${sizeOnlyExplanation(record)}`}
      data-verification="size-only"
    >
      <CautionIcon />
      size only
    </span>
  )
}

/** The details drawer's "Verified by" value for such a file: the words and the explanation. */
export function SizeOnlyNotice({ record }: { record: Why }) {
  return (
    <div
      role="note"
      aria-label="Verified by size only"
      className="rounded border border-amber-300 bg-amber-50 px-2 py-1.5 dark:border-amber-700/60 dark:bg-amber-950/40"
    >
      <span className={`inline-flex items-center gap-1 font-medium ${TONE}`}>
        <CautionIcon />
        size only
      </span>
      <p className="mt-0.5 text-xs text-zinc-700 dark:text-zinc-300">{sizeOnlyExplanation(record)}</p>
    </div>
  )
}
