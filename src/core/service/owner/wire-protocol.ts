// The local socket's framing: the shared envelope (src/shared/wire-envelope.ts), one message per line,
// in both directions. Its method names are DownloadServiceApi's, plus two of the socket's own:
//   { id, method: 'subscribe' }     start receiving events ({ event: ServiceEvent type, data }) here
//   { id, method: 'unsubscribe' }   stop receiving them
import type { ServiceEvent } from '../../../shared/service-contract'
import { encodeMessage, type WireEvent, type WireMessage } from '../../../shared/wire-envelope'

/** The longest request line the owner reads; past it the connection is answered and dropped. */
export const MAX_REQUEST_LINE_BYTES = 16 * 1024 * 1024

/**
 * Responses come from the owner, a process of the same user: a long list() is legitimate, so the
 * client's bound is only there to fail cleanly instead of exhausting memory.
 */
export const MAX_RESPONSE_LINE_BYTES = 256 * 1024 * 1024

export const SUBSCRIBE = 'subscribe'
export const UNSUBSCRIBE = 'unsubscribe'

export function encodeLine(message: WireMessage): string {
  return `${encodeMessage(message)}\n`
}

/** A ServiceEvent in the envelope: its type is the event's name. */
export function serviceEventMessage(event: ServiceEvent): WireEvent {
  return { event: event.type, data: event.data }
}

const SERVICE_EVENT_TYPES: ReadonlySet<string> = new Set<ServiceEvent['type']>(['changed', 'progress'])

/** The ServiceEvent an envelope carries; null for an event this client does not know (a newer owner's). */
export function toServiceEvent(message: WireEvent): ServiceEvent | null {
  if (!SERVICE_EVENT_TYPES.has(message.event)) return null
  return { type: message.event, data: message.data } as ServiceEvent
}
