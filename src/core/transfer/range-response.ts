import { TransferError } from './errors'
import type { RangeFetchContext } from './range-fetcher'

/**
 * Whether an answer to a ranged (or whole-object) GET is the bytes asked for: the status, the
 * Content-Range a ranged answer must carry, and the object's size, which tells if it changed.
 */
export function checkResponse(
  ctx: Pick<RangeFetchContext, 'object' | 'size'>,
  status: number | undefined,
  contentRange: string | undefined,
  contentLength: number | undefined,
  start: number,
  end: number,
  whole: boolean,
): void {
  if (whole) {
    if (status !== 200 && status !== 206) {
      throw new TransferError('server_error', `Unexpected status ${status} for ${ctx.object}`, true)
    }
    if (contentLength !== undefined && contentLength !== ctx.size) {
      throw new TransferError(
        'object_changed',
        `${ctx.object} is now ${contentLength} bytes, not ${ctx.size}`,
      )
    }
    return
  }
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '')
  if (status !== 206 || !m) {
    throw new TransferError(
      'server_error',
      `The server ignored the byte range for ${ctx.object} (status ${status}, Content-Range "${contentRange ?? ''}")`,
      true,
    )
  }
  if (Number(m[1]) !== start || Number(m[2]) > end - 1) {
    throw new TransferError(
      'server_error',
      `The server answered bytes ${m[1]}-${m[2]} when asked for ${start}-${end - 1} of ${ctx.object}`,
      true,
    )
  }
  if (m[3] !== '*' && Number(m[3]) !== ctx.size) {
    throw new TransferError('object_changed', `${ctx.object} is now ${m[3]} bytes, not ${ctx.size}`)
  }
}
