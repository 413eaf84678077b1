// The wording of a pending automatic retry, from the fields the queue machine sets.
import { describe, expect, it } from 'vitest'
import { describeRetry, describeRetryWait, retryNotice } from '../../src/shared/retry-notice'

const NOW = Date.parse('2026-12-05T12:00:00.000Z')
const waiting = {
  status: 'queued' as const,
  autoRetries: 1,
  retryAt: '2026-12-05T12:00:03.200Z',
  retryLimit: 3,
  errorCode: 'server_error',
  errorMessage: 'The server failed HEAD of s3://b/k (503)',
}

describe('retryNotice', () => {
  it('counts whole seconds up, the next attempt and the attempts in all', () => {
    const notice = retryNotice(waiting, NOW)!
    expect(notice).toEqual({ seconds: 4, attempt: 2, of: 4, reason: waiting.errorMessage })
    expect(describeRetry(notice)).toBe(
      'retrying in 4 s (attempt 2 of 4): The server failed HEAD of s3://b/k (503)',
    )
  })

  it('says "now" once the retry is due, and never a negative count', () => {
    const notice = retryNotice(waiting, NOW + 60_000)!
    expect(notice.seconds).toBe(0)
    expect(describeRetryWait(notice)).toBe('retrying now (attempt 2 of 4)')
  })

  it('is undefined when nothing is scheduled or the record is not waiting', () => {
    expect(retryNotice({ ...waiting, retryAt: undefined }, NOW)).toBeUndefined()
    expect(retryNotice({ ...waiting, status: 'progress' }, NOW)).toBeUndefined()
    expect(retryNotice({ ...waiting, retryAt: 'not a time' }, NOW)).toBeUndefined()
  })

  it('falls back to the error code when there is no message', () => {
    expect(retryNotice({ ...waiting, errorMessage: undefined }, NOW)!.reason).toBe('server_error')
  })
})
