// The local socket's framing: one JSON object per line, in both directions.
//   client → owner   { id, method, params }            a DownloadServiceApi call
//                    { id, method: 'subscribe' }       start receiving events on this connection
//                    { id, method: 'unsubscribe' }     stop receiving them
//   owner → client   { id, result } | { id, error }    the answer to request `id` (id null: unreadable request)
//                    { event }                         a ServiceEvent, after subscribe
import { z } from 'zod'
import type { ServiceErrorShape, ServiceEvent } from '../../../shared/service-contract'

/** The longest request line the owner reads; past it the connection is answered and dropped. */
export const MAX_REQUEST_LINE_BYTES = 16 * 1024 * 1024

/**
 * Responses come from the owner, a process of the same user: a long list() is legitimate, so the
 * client's bound is only there to fail cleanly instead of exhausting memory.
 */
export const MAX_RESPONSE_LINE_BYTES = 256 * 1024 * 1024

export const SUBSCRIBE = 'subscribe'
export const UNSUBSCRIBE = 'unsubscribe'

export const requestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.array(z.unknown()).optional(),
})

export type WireRequest = z.infer<typeof requestSchema>

export type WireResponse =
  { id: number | null; result?: unknown } | { id: number | null; error: ServiceErrorShape }

export type WireEvent = { event: ServiceEvent }

const errorShapeSchema = z.object({ code: z.string(), message: z.string() })

export const ownerMessageSchema = z.union([
  z.object({ event: z.object({ type: z.string() }).loose() }),
  z.object({ id: z.number().nullable(), error: errorShapeSchema }),
  z.object({ id: z.number().nullable(), result: z.unknown().optional() }),
])

export function encodeLine(message: WireRequest | WireResponse | WireEvent): string {
  return `${JSON.stringify(message)}\n`
}
