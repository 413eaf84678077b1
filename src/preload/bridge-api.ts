import {
  EVENT_METHODS,
  INVOKE_METHODS,
  type Api,
  type ApiEnvelope,
  type ApiErrorShape,
} from '../shared/api-contract'

/** The part of ipcRenderer the bridge uses (the preload passes the real one; tests pass a fake). */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

/**
 * What an invoke rejects with in the renderer. The context bridge copies an Error as a new Error with
 * only its message, so an ApiError's `code` would be lost on the way; a plain object crosses whole.
 * `rejectionToApiError` in the shared contract turns it back into an ApiError.
 */
export type BridgedApiError = ApiErrorShape & { name: 'ApiError' }

function unwrap(envelope: unknown): unknown {
  const e = envelope as ApiEnvelope<unknown>
  if (e.ok) return e.result
  const rejection: BridgedApiError = { name: 'ApiError', code: e.error.code, message: e.error.message }
  throw rejection
}

/**
 * window.api: one function per invoke channel (the answer's envelope unwrapped) and one `on…` per
 * event channel that returns its unsubscribe. Listeners get the payload only, never the IPC event (it
 * carries the sender and ports). Nothing else is exposed.
 */
export function createBridgeApi(ipc: RendererIpc): Api {
  const api: Record<string, unknown> = {}
  for (const [method, channel] of Object.entries(INVOKE_METHODS)) {
    // Only the request crosses: extra arguments a caller passes are dropped, not forwarded to main.
    api[method] = (request?: unknown) => ipc.invoke(channel, request).then(unwrap)
  }
  for (const [method, channel] of Object.entries(EVENT_METHODS)) {
    api[method] = (listener: (payload: unknown) => void) => {
      const forward = (_event: unknown, payload: unknown): void => listener(payload)
      ipc.on(channel, forward)
      return () => void ipc.removeListener(channel, forward)
    }
  }
  return Object.freeze(api) as unknown as Api
}
