// The one word a row shows for a model. A service record, when there is one, says what the queue is
// doing; without one (or when the record is over and the disk says otherwise) the disk decides.
import type { LocalInfo } from '../../../shared/api-contract'
import type { ModelRecord } from '../../../shared/service-contract'

export const DISPLAY_STATUSES = [
  'downloading',
  'queued',
  'paused',
  'failed',
  'cancelled',
  'missing',
  'completed',
  'installed',
] as const

/**
 * Exactly the words the row shows (and end-to-end tests look for). "retrying" is a queued record
 * waiting for its automatic retry: a word of its own so a failure being retried is seen as one, but
 * not a filter of its own (the status filter's "queued" includes it).
 */
export type DisplayStatus = (typeof DISPLAY_STATUSES)[number] | 'retrying'

export interface StatusView {
  status: DisplayStatus
  /** Why a file counts as missing though something is on disk. */
  hint?: 'resumable' | 'different size' | 'not a file' | 'broken link'
}

const LOCAL_HINTS: Partial<Record<LocalInfo['state'], StatusView['hint']>> = {
  partial: 'resumable',
  wrong_size: 'different size',
  not_a_file: 'not a file',
  broken_link: 'broken link',
}

export function statusFromLocal(local: LocalInfo | undefined): StatusView {
  if (!local || local.state === 'missing') return { status: 'missing' }
  if (local.state === 'installed') return { status: 'installed' }
  return { status: 'missing', hint: LOCAL_HINTS[local.state] }
}

export function deriveStatus(
  record: Pick<ModelRecord, 'status' | 'retryAt'> | undefined,
  local: LocalInfo | undefined,
): StatusView {
  if (!record) return statusFromLocal(local)
  switch (record.status) {
    case 'progress':
      return { status: 'downloading' }
    case 'queued':
      return { status: record.retryAt === undefined ? 'queued' : 'retrying' }
    case 'paused':
    case 'failed':
      return { status: record.status }
    case 'completed':
      // The store marks a model installed when its record completes; a later report from the disk that
      // it is gone (deleted by hand) wins over the old record.
      return local && local.state !== 'installed' ? statusFromLocal(local) : { status: 'completed' }
    case 'cancelled':
      // A file that is complete on disk despite an old cancelled record: say what is there.
      return local?.state === 'installed' ? { status: 'installed' } : { status: 'cancelled' }
  }
}

/** Waiting, running or paused: in the queue. */
export function isActive(status: DisplayStatus): boolean {
  return status === 'downloading' || status === 'queued' || status === 'retrying' || status === 'paused'
}

/** On disk and complete. */
export function isOnDisk(status: DisplayStatus): boolean {
  return status === 'installed' || status === 'completed'
}

/** Not on disk and not in the queue: what "missing" counts, "Select missing" picks and Download fetches. */
export function isMissing(status: DisplayStatus): boolean {
  return status === 'missing' || status === 'failed' || status === 'cancelled'
}

/** Sort rank for "sort by status": what needs attention first. */
export const STATUS_RANK: Record<DisplayStatus, number> = {
  ...(Object.fromEntries(DISPLAY_STATUSES.map((s, i) => [s, i])) as Record<
    (typeof DISPLAY_STATUSES)[number],
    number
  >),
  retrying: DISPLAY_STATUSES.indexOf('queued'),
}
