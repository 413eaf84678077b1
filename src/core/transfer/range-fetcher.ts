import type { FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import type { TransferTuning } from '../../shared/transfer'
import type { BandwidthLimiter } from './bandwidth-limiter'
import { TransferError, TransferStopped, stopReasonOf, throwIfStopped } from './errors'
import type { ObjectSource } from './object-source'
import { FastBody } from './object-wire'
import { OrderedWriter } from './ordered-writer'
import { waitBeforeRetry } from './retry'
import { checkResponse } from './range-response'

/**
 * Socket reads are gathered into buffers of this size, each written with one syscall at its file
 * offset. The buffers are reused (see takeBatchBuffer): the bytes are copied once from the
 * connection's read buffer, which costs less than a fresh allocation per socket read did.
 * Not larger: a write of 1 MiB makes the kernel put it in a large page-cache folio, which on a VM
 * whose balloon hands free memory back to the host costs far more to fill; smaller batches did not
 * avoid that cost and made more writes (docs/benchmarks.md, "Measurements behind the engine's
 * choices").
 */
const WRITE_BATCH_BYTES = 256 * 1024
/** Spare batch buffers kept for the next writes: enough for a few connections' writes in flight. */
const MAX_SPARE_BATCH_BUFFERS = 64
/**
 * A batch is also written once it is this old, so that a slow transfer (a long link, a bandwidth
 * limit) still moves its bar and its resume point a few times a second instead of once per MiB. A
 * fast one fills WRITE_BATCH_BYTES first and never gets here.
 */
const WRITE_BATCH_MAX_AGE_MS = 250
/**
 * Writes queued per connection before reading waits (1 MiB): with automatic connections a host may
 * run 16, and what they hold while the disk is slow is most of a worker's memory.
 */
const WRITES_IN_FLIGHT = 4
/** An attempt that moved at least this far counts as progress, so the failure count starts over. */
const PROGRESS_RESETS_FAILURES = 1024 * 1024
const WATCHDOG_TICK_MS = 500

const spareBatchBuffers: Buffer[] = []

function takeBatchBuffer(): Buffer {
  return spareBatchBuffers.pop() ?? Buffer.allocUnsafeSlow(WRITE_BATCH_BYTES)
}

function giveBatchBuffer(buf: Buffer): void {
  if (spareBatchBuffers.length < MAX_SPARE_BATCH_BUFFERS) spareBatchBuffers.push(buf)
}

/**
 * A range a connection is fetching. `end` may be lowered while it runs (another connection takes
 * the rest, see PartQueue.split): the bytes past it are then left unread and the connection closed.
 */
export interface LivePart {
  start: number
  end: number
  /** Bytes of the part received so far (written or about to be), from `start`. */
  received: number
}

/** Reading stops here: the part's end was lowered below what the request asked for. */
class PartCut extends Error {}

export interface RangeFetchContext {
  source: ObjectSource
  object: string
  etag: string
  size: number
  fh: FileHandle
  dir: string
  limiter: BandwidthLimiter
  tuning: TransferTuning
  signal: AbortSignal
  /** The bytes as they arrive, at their offset (for in-order hashing). */
  onData(offset: number, chunk: Uint8Array): void
  /** [offset, offset+length) is now in the file. Called in order within a range. */
  onWritten(offset: number, length: number): void
  onRetry?(message: string): void
  /** A request is about to go out (the adaptive policy counts them). */
  onRequest?(): void
  /** An attempt failed with this transient error (it will be retried, or the range gives up). */
  onAttemptFailed?(err: TransferError): void
  /** The connection waits before its retry (true), or waits no more (false): it receives nothing meanwhile. */
  onRetryWait?(waiting: boolean): void
}

/**
 * Fetches [start, end) into the file. Transient failures retry with exponential backoff and jitter,
 * resuming from the last byte written, not from the range's start.
 */
export async function fetchRange(
  ctx: RangeFetchContext,
  part: LivePart,
  /** An answer to a GET of the whole object already under way (see openObject): the first attempt. */
  opened?: GetObjectCommandOutput,
): Promise<void> {
  const cursor = { pos: part.start + part.received }
  let failures = 0
  let first = opened
  for (;;) {
    throwIfStopped(ctx.signal)
    const before = cursor.pos
    const response = first
    first = undefined
    try {
      await fetchOnce(ctx, cursor, part, response)
      if (cursor.pos >= part.end) return
      throw new TransferError(
        'network',
        `The connection closed early at byte ${cursor.pos} of ${ctx.object}`,
        true,
      )
    } catch (err) {
      if (ctx.signal.aborted) throw new TransferStopped(stopReasonOf(ctx.signal))
      // Every asked-for byte was written before the answer went wrong (bytes beyond the range, a
      // reset after the last one, a cut): the range is complete, and the file's checksum judges it.
      if (cursor.pos >= part.end) return
      const e = ctx.source.classify(err, `GET bytes=${cursor.pos}-${part.end - 1}`)
      if (!e.retryable) throw e
      ctx.onAttemptFailed?.(e)
      if (cursor.pos - before >= PROGRESS_RESETS_FAILURES) failures = 0
      failures++
      if (failures >= ctx.tuning.maxAttempts) {
        throw new TransferError(e.code, `${e.message} (gave up after ${failures} attempts)`, true, {
          cause: e,
        })
      }
      ctx.onRetry?.(`${e.message}; retrying (attempt ${failures + 1})`)
      ctx.onRetryWait?.(true)
      try {
        await waitBeforeRetry(failures, ctx.signal)
      } finally {
        ctx.onRetryWait?.(false)
      }
      // Bytes received but never written (a failed flush) are fetched again.
      part.received = cursor.pos - part.start
    }
  }
}

async function fetchOnce(
  ctx: RangeFetchContext,
  cursor: { pos: number },
  part: LivePart,
  opened: GetObjectCommandOutput | undefined,
): Promise<void> {
  // What this request asks for; the part's end may be lowered while it runs (a cut).
  const end = part.end
  const whole = cursor.pos === 0 && end === ctx.size
  const attempt = new AbortController()
  const onOuterAbort = (): void => attempt.abort(ctx.signal.reason)
  ctx.signal.addEventListener('abort', onOuterAbort, { once: true })

  // The watchdog: a connection that delivers nothing for stallTimeoutMs is cut and retried.
  let lastActivity = performance.now()
  let waitingForTokens = false
  const watchdog = setInterval(
    () => {
      if (!waitingForTokens && performance.now() - lastActivity > ctx.tuning.stallTimeoutMs) {
        attempt.abort(
          new TransferError(
            'network',
            `No data from the server for ${ctx.tuning.stallTimeoutMs / 1000} s (stalled connection)`,
            true,
          ),
        )
      }
    },
    Math.min(WATCHDOG_TICK_MS, ctx.tuning.stallTimeoutMs),
  )

  const writer = new OrderedWriter(ctx.fh, ctx.dir, WRITES_IN_FLIGHT, (offset, length) => {
    cursor.pos = offset + length
    ctx.onWritten(offset, length)
  })
  let received = cursor.pos
  let batch: Buffer | null = null
  let batchFill = 0
  let batchStart = received
  let batchSince = 0
  const flush = (): Promise<void> | null => {
    const buf = batch
    if (buf === null || batchFill === 0) return null
    const [offset, length] = [batchStart, batchFill]
    batch = null
    batchFill = 0
    return writer.write([buf.subarray(0, length)], offset, length, () => giveBatchBuffer(buf))
  }
  let trusted = true
  /**
   * One piece of the body, valid only during the call (the connection reuses its bytes): checked,
   * hashed, copied into the batch. Returns what reading must wait for (a write slot, the bandwidth
   * limiter), or nothing.
   */
  const onPiece = (piece: Buffer): Promise<unknown> | undefined => {
    lastActivity = performance.now()
    if (received + piece.length > end) {
      // More than asked for: the response cannot be trusted, so none of it is kept.
      trusted = false
      throw new TransferError('server_error', `The server sent more bytes than asked for ${ctx.object}`, true)
    }
    const cutAt = part.end
    if (received >= cutAt) throw new PartCut()
    if (received + piece.length > cutAt) {
      // Another connection took the rest: keep what belongs to this part, then stop reading.
      const waits = onPiece(piece.subarray(0, cutAt - received))
      if (waits) void waits.catch(() => undefined)
      throw new PartCut()
    }
    ctx.onData(received, piece)
    let waits: Promise<unknown>[] | undefined
    for (let at = 0; at < piece.length;) {
      if (batch === null) {
        batch = takeBatchBuffer()
        batchStart = received + at
        batchSince = lastActivity
      }
      const n = piece.copy(batch, batchFill, at)
      batchFill += n
      at += n
      if (batchFill === batch.length) (waits ??= []).push(flush()!)
    }
    received += piece.length
    part.received = received - part.start
    // Under a bandwidth limit, an eighth of a second's worth is written at once (the first read of
    // an answer may be a large one), so the bar moves several times a second.
    const limitedBatch = ctx.limiter.rate > 0 ? Math.max(64 * 1024, ctx.limiter.rate / 8) : WRITE_BATCH_BYTES
    if (batch !== null && (batchFill >= limitedBatch || lastActivity - batchSince >= WRITE_BATCH_MAX_AGE_MS))
      (waits ??= []).push(flush()!)
    if (ctx.limiter.rate > 0) {
      waitingForTokens = true
      const tokens = ctx.limiter.take(piece.length, attempt.signal).then(() => {
        waitingForTokens = false
        lastActivity = performance.now()
      })
      ;(waits ??= []).push(tokens)
    }
    return waits && Promise.all(waits)
  }
  let body: Readable | undefined
  try {
    // The body comes first in the finally below's care, so an opened answer is never left unread.
    body = opened?.Body as Readable | undefined
    if (!opened) ctx.onRequest?.()
    const out =
      opened ??
      (await ctx.source.get(
        { etag: ctx.etag, ...(whole ? {} : { range: `bytes=${cursor.pos}-${end - 1}` }) },
        attempt.signal,
      ))
    checkResponse(
      ctx,
      out.$metadata.httpStatusCode,
      out.ContentRange,
      out.ContentLength,
      cursor.pos,
      end,
      whole,
    )
    body = out.Body as Readable
    const stream = body
    attempt.signal.addEventListener('abort', () => stream.destroy(asError(attempt.signal.reason)), {
      once: true,
    })
    if (attempt.signal.aborted) stream.destroy(asError(attempt.signal.reason))

    if (stream instanceof FastBody) {
      // Under a bandwidth limit, reads of an eighth of a second's worth keep the bar and the resume
      // point moving several times a second.
      if (ctx.limiter.rate > 0) stream.setReadSize(ctx.limiter.rate / 8)
      await stream.pipeTo(onPiece)
    } else {
      for await (const chunk of stream) {
        const wait = onPiece(chunk as Buffer)
        if (wait) await wait
      }
    }
    await flush()
    await writer.drain()
  } catch (err) {
    // Keep every good byte that arrived before a reset or stall, so the retry starts right after it.
    if (trusted && !writer.failed && !ctx.signal.aborted) await flush()?.catch(() => undefined)
    // A failed write (disk full) explains the failure better than whatever it caused downstream.
    const writeFailure = await writer.drain().then(
      () => null,
      (e: unknown) => e,
    )
    if (writeFailure !== null) throw writeFailure
    throw attempt.signal.aborted && attempt.signal.reason instanceof TransferError
      ? attempt.signal.reason
      : err
  } finally {
    clearInterval(watchdog)
    ctx.signal.removeEventListener('abort', onOuterAbort)
    body?.destroy()
    // A batch never handed to a write can serve the next one.
    if (batch !== null) giveBatchBuffer(batch)
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}
