// "retrying in 4 s (attempt 2 of 4): reason" for a download waiting for its automatic retry. The
// service sent when the retry is due once; the seconds tick here, on one timer per waiting row (the
// service is not asked again).
import { useEffect, useState } from 'react'
import { describeRetryWait, retryNotice } from '../../../shared/retry-notice'
import type { ModelRecord } from '../../../shared/service-contract'

type RetryFields = Pick<ModelRecord, 'retryAt' | 'retryLimit' | 'autoRetries' | 'errorMessage'>

/** Now, once a second while `active`. */
function useSecondClock(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [active])
  return now
}

export function RetryCountdown({
  record,
  reason,
  className = '',
}: {
  record: RetryFields
  /** The reason as this place shows it (a row shortens it); the full one goes in the tooltip. */
  reason?: string
  className?: string
}) {
  const now = useSecondClock(record.retryAt !== undefined)
  const notice = retryNotice({ ...record, status: 'queued' }, now)
  if (!notice) return null
  const wait = describeRetryWait(notice)
  return (
    <span className={className} title={`${wait}: ${notice.reason}`}>
      <span className="text-amber-700 tabular-nums dark:text-amber-400">{wait}</span>
      <span className="muted">: </span>
      {reason ?? notice.reason}
    </span>
  )
}
