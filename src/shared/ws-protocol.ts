// Frames of the WebSocket that carries the Api contract to a browser (`modeldl serve --ui`). JSON text
// frames only. The client numbers its calls; the server answers each with the same id.
import type { ApiEnvelope, EventChannel, EventContract, InvokeChannel } from './api-contract'

export interface InvokeFrame {
  type: 'invoke'
  id: number
  channel: InvokeChannel
  request?: unknown
}

export type ResultFrame = { type: 'result'; id: number } & ApiEnvelope<unknown>

export type EventFrame = {
  [C in EventChannel]: { type: 'event'; channel: C; payload: EventContract[C] }
}[EventChannel]

export type ClientFrame = InvokeFrame
export type ServerFrame = ResultFrame | EventFrame

/** The path the WebSocket is served on; the token travels as `?token=` on the upgrade request. */
export const WS_PATH = '/api'
