// What can be done to one model, as small buttons with words ("Retry", "Pause", "Cancel"): an icon
// alone left people guessing. The accessible name says which model ("Retry flux1-dev.safetensors").
// Copy S3 path and Details are icons that appear on hover or focus, and stay reachable by keyboard.
import type { ViewKey } from '../store/app-store'
import { useAppStore, useCommands } from '../store/context'
import type { RowView } from '../store/selectors'
import {
  CancelIcon,
  CopyIcon,
  DownloadIcon,
  FolderIcon,
  InfoIcon,
  PauseIcon,
  ResumeIcon,
  RetryIcon,
} from './icons'

/** Only the active row's controls are in the Tab order; arrow keys move between rows. */
export function RowActions({
  view,
  id,
  row,
  tabbable,
}: {
  view: ViewKey
  id: string
  row: RowView
  tabbable: boolean
}) {
  const commands = useCommands()
  const canReveal = useAppStore((s) => s.appInfo?.capabilities.reveal ?? false)
  const openDrawer = useAppStore((s) => s.openDrawer)
  const name = row.name
  const tabIndex = tabbable ? 0 : -1
  const act = (word: string, icon: React.ReactNode, onClick: () => void, tone = '') => (
    <button
      type="button"
      className={`row-action ${tone}`}
      aria-label={`${word} ${name}`}
      onClick={onClick}
      tabIndex={tabIndex}
    >
      {icon}
      <span>{word}</span>
    </button>
  )
  const icon = (label: string, glyph: React.ReactNode, onClick: () => void) => (
    <button
      type="button"
      className="icon-btn size-6"
      aria-label={label}
      title={label}
      onClick={onClick}
      tabIndex={tabIndex}
    >
      {glyph}
    </button>
  )
  const { status } = row
  const inQueue = status === 'queued' || status === 'retrying' || status === 'downloading'
  // Hidden until the row is hovered or focused, but always in the page and reachable by keyboard.
  const secondary =
    'opacity-0 group-hover/row:opacity-100 group-focus-within/row:opacity-100 focus:opacity-100'
  return (
    <>
      {(status === 'missing' || status === 'cancelled') &&
        act('Download', <DownloadIcon />, () => void commands.download(view, [id]), 'row-action-main')}
      {status === 'failed' && act('Retry', <RetryIcon />, () => void commands.retry([id]), 'row-action-main')}
      {inQueue && act('Pause', <PauseIcon />, () => void commands.pause([id]))}
      {status === 'paused' &&
        act('Resume', <ResumeIcon />, () => void commands.resume([id]), 'row-action-main')}
      {(inQueue || status === 'paused') && act('Cancel', <CancelIcon />, () => void commands.cancel([id]))}
      {canReveal &&
        (status === 'completed' || status === 'installed') &&
        icon(`Reveal ${name} in folder`, <FolderIcon />, () => void commands.reveal(id))}
      <span className={`flex ${secondary}`}>
        {row.s3Uri &&
          icon(`Copy S3 path of ${name}`, <CopyIcon />, () => void commands.copyText(row.s3Uri, row.s3Uri))}
        {icon(`Details for ${name}`, <InfoIcon />, () => openDrawer(view, id))}
      </span>
    </>
  )
}
