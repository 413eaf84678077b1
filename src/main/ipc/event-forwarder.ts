import type { EmitEvent, EventChannel, EventContract } from '../../shared/api-contract'

export type SendToWindows = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void

export interface EventForwarder {
  /** Hand this to `backend.onEvent`. */
  emit: EmitEvent
  dispose(): void
}

/**
 * Passes the backend's events on to the windows as they come, in order, nothing merged or held back:
 * the service's progress tick (at most 10 per second) is the one rate limit, and a window's
 * RevisionFollower needs every revision in order. Nothing is sent once disposed.
 */
export function createEventForwarder(send: SendToWindows): EventForwarder {
  let disposed = false
  const emit: EmitEvent = (channel, payload) => {
    if (!disposed) send(channel, payload)
  }
  return {
    emit,
    dispose: () => {
      disposed = true
    },
  }
}
