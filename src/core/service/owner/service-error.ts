import type { ServiceErrorCode, ServiceErrorShape } from '../../../shared/service-contract'

// The contract declares the codes as a type only; the wire needs them at run time to tell a deliberate
// service error (passed on as is) from an accident (reported as `internal`).
const CODES = {
  bad_request: true,
  forbidden: true,
  not_found: true,
  not_owner: true,
  unavailable: true,
  internal: true,
} as const satisfies Record<ServiceErrorCode, true>

export function isServiceErrorCode(value: unknown): value is ServiceErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value)
}

/** What every DownloadService door rejects with: a code a client can act on, a message a person can. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError'
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  toJSON(): ServiceErrorShape {
    return { code: this.code, message: this.message }
  }
}

/** Anything thrown, as it may cross a process boundary: a coded error as is, the rest as `internal`. */
export function toServiceErrorShape(err: unknown): ServiceErrorShape {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown }
    if (isServiceErrorCode(code) && typeof message === 'string') return { code, message }
    if (typeof message === 'string') return { code: 'internal', message }
  }
  return { code: 'internal', message: String(err) }
}
