import { ApiError, type ApiErrorCode, type ApiErrorShape } from '../../shared/api-contract'
import type { ServiceErrorCode } from '../../shared/service-contract'
import { GateError } from '../gate/path-gate'
import { ServiceError } from '../service/owner/service-error'

const FROM_SERVICE: Record<ServiceErrorCode, ApiErrorCode> = {
  bad_request: 'bad_request',
  forbidden: 'forbidden',
  not_found: 'not_found',
  // The window reached a process that no longer owns the queue: for the window, the service is away.
  not_owner: 'unavailable',
  unavailable: 'unavailable',
  internal: 'internal',
}

/**
 * What a door (IPC, WebSocket) sends back for a failed invoke. ApiError and ServiceError carry a code
 * and a message meant for the user; anything else is an accident, reported as `internal` with its
 * message (never a stack).
 */
export function toApiError(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return { code: err.code, message: err.message }
  if (err instanceof ServiceError) return { code: FROM_SERVICE[err.code], message: err.message }
  if (err instanceof GateError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message: `Unexpected error: ${message}` }
}

/** The same as an ApiError to throw on this side of the door. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const shape = toApiError(err)
  return new ApiError(shape.code, shape.message)
}
