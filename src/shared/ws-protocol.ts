// The Api contract over the WebSocket of `modeldl serve --ui`: the shared envelope of
// src/shared/wire-envelope.ts, one message per JSON text frame. A call's `method` is an invoke
// channel and its one param the channel's request (none for a void request); an event is named by its
// event channel and carries that channel's payload as `data`.
import type { EventChannel, EventContract, InvokeChannel } from './api-contract'
import type { WireEvent, WireRequest } from './wire-envelope'

export type InvokeFrame = WireRequest<InvokeChannel>

export type EventFrame = {
  [C in EventChannel]: WireEvent<C, EventContract[C]>
}[EventChannel]

/** The frame of one invoke. */
export function invokeFrame(id: number, channel: InvokeChannel, request?: unknown): InvokeFrame {
  return request === undefined ? { id, method: channel } : { id, method: channel, params: [request] }
}

/** An event channel's payload as a frame. */
export function eventFrame<C extends EventChannel>(channel: C, payload: EventContract[C]): EventFrame {
  return { event: channel, data: payload } as EventFrame
}

/** The path the WebSocket is served on; the token travels as `?token=` on the upgrade request. */
export const WS_PATH = '/api'
