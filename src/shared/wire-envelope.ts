// The one message shape of both doors that carry calls between processes: the local socket (one JSON
// message per line, `method` a DownloadServiceApi method, `event` a ServiceEvent type) and the
// WebSocket of `modeldl serve` (one JSON message per text frame, `method` an Api invoke channel,
// `event` an Api event channel). Only the transport and the names differ.
//   caller → server   { id, method, params? }             a call; params is the argument list
//   server → caller   { id, result? } | { id, error }      the answer to call `id` (null: unreadable call)
//                     { event, data }                      something happened
import { z } from 'zod'

export interface WireRequest<M extends string = string> {
  id: number
  method: M
  params?: unknown[]
}

/** What failed, said so a program can act on `code` and a person on `message`. */
export interface WireError {
  code: string
  message: string
}

export interface WireResult {
  id: number | null
  /** Absent for a call that returns nothing. */
  result?: unknown
}

export interface WireFailure {
  id: number | null
  error: WireError
}

export type WireResponse = WireResult | WireFailure

export interface WireEvent<E extends string = string, D = unknown> {
  event: E
  data: D
}

/** What a server sends: answers and events. */
export type WireReply = WireResponse | WireEvent

export type WireMessage = WireRequest | WireReply

export const wireRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.array(z.unknown()).optional(),
})

const wireErrorSchema = z.object({ code: z.string(), message: z.string() })

export const wireEventSchema = z.object({ event: z.string(), data: z.unknown() })

/** An event, an error answer or a result answer, in that order: a result has no key of its own. */
export const wireReplySchema = z.union([
  wireEventSchema,
  z.object({ id: z.number().nullable(), error: wireErrorSchema }),
  z.object({ id: z.number().nullable(), result: z.unknown().optional() }),
])

/** The text of one message: a line on the socket (plus its newline), a text frame on the WebSocket. */
export function encodeMessage(message: WireMessage): string {
  return JSON.stringify(message)
}

export function isWireEvent(message: WireReply): message is WireEvent {
  return 'event' in message
}

export function isWireFailure(message: WireResponse): message is WireFailure {
  return 'error' in message
}

/** A request that cannot be read is still answered, to its id when it had a numeric one. */
export function idOf(raw: unknown): number | null {
  const id = (raw as { id?: unknown } | null)?.id
  return typeof id === 'number' ? id : null
}

export type RequestReading =
  { ok: true; request: WireRequest } | { ok: false; id: number | null; problem: 'not-json' | 'not-a-request' }

/** Reads one incoming message as a request: what both servers do first with every line or frame. */
export function readRequest(text: string): RequestReading {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { ok: false, id: null, problem: 'not-json' }
  }
  const parsed = wireRequestSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, id: idOf(raw), problem: 'not-a-request' }
  const { id, method, params } = parsed.data
  return { ok: true, request: params ? { id, method, params } : { id, method } }
}

/** Reads one message from a server; null when it is not one (not JSON, or not of the shapes above). */
export function readReply(text: string): WireReply | null {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return null
  }
  const parsed = wireReplySchema.safeParse(raw)
  return parsed.success ? (parsed.data as WireReply) : null
}
