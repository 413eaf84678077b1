// The window's Api over a WebSocket to `modeldl serve --ui` (frames of src/shared/ws-protocol.ts):
// numbered invokes answered by envelopes, events by channel. Built from the contract's method maps,
// so a channel added there works here with no code of its own. Browser only: the global WebSocket.
import {
  ApiError,
  EVENT_METHODS,
  INVOKE_METHODS,
  unwrapEnvelope,
  type Api,
  type ApiEnvelope,
  type EventChannel,
  type InvokeChannel,
  type Unsubscribe,
} from '../../../shared/api-contract'
import type { InvokeFrame, ServerFrame } from '../../../shared/ws-protocol'

export type WebSocketApi = Api & {
  /** Hangs up for good: calls still waiting reject, no reconnect. */
  close(): void
}

export interface WebSocketApiOptions {
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** Where a throwing event listener is reported (it must not stop the other listeners). */
  onListenerError?: (error: unknown) => void
}

interface Call {
  id: number
  text: string
  resolve(value: unknown): void
  reject(error: ApiError): void
}

const OPEN = 1

export function createWebSocketApi(url: string, options: WebSocketApiOptions = {}): WebSocketApi {
  const initialBackoff = options.initialBackoffMs ?? 250
  const maxBackoff = options.maxBackoffMs ?? 10_000
  const reportListenerError = options.onListenerError ?? ((error: unknown) => console.error(error))

  let socket: WebSocket | null = null
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null
  let failedAttempts = 0
  let closed = false
  let nextId = 1
  /** Sent, waiting for their result. */
  const inFlight = new Map<number, Call>()
  /** Made while no connection was open: sent once one is, rejected if the attempt fails. */
  const outbox: Call[] = []
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>()

  function connect(): void {
    reconnectTimer = null
    const ws = new WebSocket(url)
    socket = ws
    ws.addEventListener('open', () => {
      if (socket !== ws) return
      failedAttempts = 0
      for (const call of outbox.splice(0)) send(ws, call)
    })
    ws.addEventListener('message', (event: MessageEvent) => {
      if (socket === ws && typeof event.data === 'string') receive(event.data)
    })
    // 'error' is always followed by 'close', where the drop is handled once.
    ws.addEventListener('close', () => dropped(ws))
  }

  function send(ws: WebSocket, call: Call): void {
    inFlight.set(call.id, call)
    ws.send(call.text)
  }

  function receive(text: string): void {
    let frame: ServerFrame
    try {
      frame = JSON.parse(text) as ServerFrame
    } catch {
      return
    }
    if (frame.type === 'result') {
      const call = inFlight.get(frame.id)
      if (!call) return
      inFlight.delete(frame.id)
      try {
        call.resolve(unwrapEnvelope(frame as ApiEnvelope<unknown>))
      } catch (err) {
        call.reject(err instanceof ApiError ? err : new ApiError('internal', String(err)))
      }
    } else if (frame.type === 'event') {
      for (const listener of [...(listeners.get(frame.channel) ?? [])]) {
        try {
          listener(frame.payload)
        } catch (err) {
          reportListenerError(err)
        }
      }
    }
  }

  function dropped(ws: WebSocket): void {
    if (socket !== ws) return
    socket = null
    const lost = new ApiError(
      'unavailable',
      closed
        ? 'The connection to modeldl serve was closed'
        : 'Lost the connection to modeldl serve (reconnecting): check that it still runs, then try again',
    )
    for (const call of inFlight.values()) call.reject(lost)
    inFlight.clear()
    for (const call of outbox.splice(0)) call.reject(lost)
    if (closed) return
    const delay = Math.min(maxBackoff, initialBackoff * 2 ** failedAttempts)
    failedAttempts++
    // Jitter, so many tabs of a restarted server do not all knock at the same instant.
    reconnectTimer = setTimeout(connect, delay * (0.75 + Math.random() * 0.5))
  }

  function invoke(channel: InvokeChannel, request?: unknown): Promise<unknown> {
    if (closed) return Promise.reject(new ApiError('unavailable', 'This connection was closed'))
    return new Promise((resolve, reject) => {
      const id = nextId++
      const frame: InvokeFrame =
        request === undefined ? { type: 'invoke', id, channel } : { type: 'invoke', id, channel, request }
      const call: Call = { id, text: JSON.stringify(frame), resolve, reject }
      if (socket && socket.readyState === OPEN) send(socket, call)
      else outbox.push(call)
    })
  }

  function on(channel: EventChannel, listener: (payload: unknown) => void): Unsubscribe {
    let set = listeners.get(channel)
    if (!set) listeners.set(channel, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  const api: Record<string, unknown> = {}
  for (const [method, channel] of Object.entries(INVOKE_METHODS)) {
    api[method] = (request?: unknown) => invoke(channel, request)
  }
  for (const [method, channel] of Object.entries(EVENT_METHODS)) {
    api[method] = (listener: (payload: unknown) => void) => on(channel, listener)
  }
  api['close'] = () => {
    if (closed) return
    closed = true
    if (reconnectTimer) clearTimeout(reconnectTimer)
    const ws = socket
    if (ws) {
      ws.close(1000)
      dropped(ws)
    }
  }

  connect()
  return api as unknown as WebSocketApi
}
