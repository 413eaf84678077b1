import type { EmitEvent, EventChannel, EventContract } from '../../shared/api-contract'
import { ProgressThrottle } from './progress-throttle'

export type SendToWindows = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void

export interface EventForwarder {
  /** Hand this to `backend.onEvent`. */
  emit: EmitEvent
  dispose(): void
}

/**
 * Passes the backend's events on to the windows: progress through a ProgressThrottle (≤ 10 per
 * second), everything else at once, in order.
 */
export function createEventForwarder(send: SendToWindows, progressIntervalMs = 100): EventForwarder {
  const throttle = new ProgressThrottle((tick) => send('downloads:progress', tick), progressIntervalMs)
  const emit: EmitEvent = (channel, payload) => {
    if (channel === 'downloads:progress') {
      throttle.push(payload as EventContract['downloads:progress'])
      return
    }
    if (channel === 'downloads:changed') {
      const { records, removed } = payload as EventContract['downloads:changed']
      throttle.supersede([...records.map((r) => r.id), ...removed])
    }
    send(channel, payload)
  }
  return { emit, dispose: () => throttle.dispose() }
}
