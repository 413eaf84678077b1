import type { StopReason, TransferErrorCode } from '../../shared/transfer'

/** A transfer that ended without a file, with a reason a person can act on. */
export class TransferError extends Error {
  override readonly name = 'TransferError'
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    /** Worth another attempt (resets, stalls, 5xx); permanent errors fail the job at once. */
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The transfer stopped because its owner asked (cancel or pause): not a failure. */
export class TransferStopped extends Error {
  override readonly name = 'TransferStopped'
  constructor(readonly reason: StopReason) {
    super(reason === 'paused' ? 'Download paused' : 'Download cancelled')
  }
}

/** The reason an AbortSignal carries when a transfer is paused or cancelled. */
export function stopReasonOf(signal: AbortSignal): StopReason {
  return signal.reason === 'paused' ? 'paused' : 'cancelled'
}

export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new TransferStopped(stopReasonOf(signal))
}
