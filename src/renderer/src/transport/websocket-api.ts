// The window's Api over a WebSocket to `modeldl serve --ui` (src/shared/ws-protocol.ts: the envelope
// of src/shared/wire-envelope.ts, one per frame): numbered calls answered by id, events by channel. Built from the contract's method maps,
// so a channel added there works here with no code of its own. Browser only: the global WebSocket.
import {
  ApiError,
  EVENT_METHODS,
  INVOKE_METHODS,
  rejectionToApiError,
  type Api,
  type EventChannel,
  type InvokeChannel,
  type Unsubscribe,
} from '../../../shared/api-contract'
import { encodeMessage, isWireEvent, isWireFailure, readReply } from '../../../shared/wire-envelope'
import { invokeFrame } from '../../../shared/ws-protocol'

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
  /** The WebSocket class (default: the browser's); a test in Node hands in the `ws` package's. */
  WebSocket?: new (url: string) => WebSocket
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
  const Socket = options.WebSocket ?? WebSocket

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
    const ws = new Socket(url)
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
    const message = readReply(text)
    if (!message) return
    if (isWireEvent(message)) {
      for (const listener of [...(listeners.get(message.event as EventChannel) ?? [])]) {
        try {
          listener(message.data)
        } catch (err) {
          reportListenerError(err)
        }
      }
      return
    }
    if (message.id === null) return
    const call = inFlight.get(message.id)
    if (!call) return
    inFlight.delete(message.id)
    if (isWireFailure(message)) call.reject(rejectionToApiError(message.error))
    else call.resolve(message.result)
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
      const call: Call = { id, text: encodeMessage(invokeFrame(id, channel, request)), resolve, reject }
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
