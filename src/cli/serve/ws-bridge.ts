// The Api contract over a WebSocket (src/shared/ws-protocol.ts: the envelope the local socket uses
// too, one message per frame): numbered calls answered with their result or error, events pushed to
// every client. The handlers are the gated ones (src/core/gate): they validate each request
// themselves, so this door checks only the frame. A bad frame closes its own connection with the code
// that says why (1003 binary, 1007 invalid UTF-8 or not JSON, 1008 not a request or a flood, 1009 too
// big), never serve.
import { WebSocket, type WebSocketServer } from 'ws'
import {
  INVOKE_CHANNELS,
  type ApiErrorShape,
  type ApiHandlers,
  type EmitEvent,
  type InvokeChannel,
} from '../../shared/api-contract'
import {
  encodeMessage,
  readRequest,
  type WireFailure,
  type WireRequest,
  type WireResponse,
} from '../../shared/wire-envelope'
import { eventFrame, type EventFrame } from '../../shared/ws-protocol'
import { toApiError } from '../../core/app/api-errors'
import { WS_INVOKE_BURST, WS_INVOKES_PER_SECOND } from '../../shared/limits'

export interface BridgedBackend {
  handlers: ApiHandlers
  onEvent(emit: EmitEvent): () => void
}

/** Progress ticks are replaced by the next one: a client this far behind skips them, not the rest. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024
const HEARTBEAT_MS = 30_000

export const TOO_MANY_INVOKES = `Too many requests: at most ${WS_INVOKES_PER_SECOND} per second from one window; slow down`
const FLOOD_CLOSE_REASON = `Too many requests: far over ${WS_INVOKES_PER_SECOND} per second`

/**
 * One client's invoke budget, a token bucket: WS_INVOKE_BURST at once, refilled at
 * WS_INVOKES_PER_SECOND. An invoke over budget is refused (and still costs a token, so a client that
 * keeps sending does not get through by luck); one that has run up a whole further burst of refusals
 * is flooding, and is disconnected.
 */
export class InvokeBudget {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond = WS_INVOKES_PER_SECOND,
    private readonly burst = WS_INVOKE_BURST,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst
    this.last = now()
  }

  take(): 'run' | 'refuse' | 'disconnect' {
    const t = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond)
    this.last = t
    this.tokens -= 1
    if (this.tokens >= 0) return 'run'
    return this.tokens >= -this.burst ? 'refuse' : 'disconnect'
  }
}

function isChannel(channel: string): channel is InvokeChannel {
  return (INVOKE_CHANNELS as readonly string[]).includes(channel)
}

/** Answers one call: the handler's result, or an error with a code. */
export async function answer(backend: BridgedBackend, call: WireRequest): Promise<WireResponse> {
  const { id, method, params = [] } = call
  if (!isChannel(method)) return fail(id, { code: 'bad_request', message: `Unknown channel "${method}"` })
  if (params.length > 1) {
    return fail(id, { code: 'bad_request', message: 'A call carries at most one param: the request' })
  }
  try {
    // The request's own checks (schema, paths, settings) are the gate's, in the handlers (src/core/gate).
    const handler = backend.handlers[method] as (r: unknown) => Promise<unknown>
    const result = await handler(params[0])
    // A void result leaves `result` out of the JSON: the client hands on undefined, as it should.
    return { id, result }
  } catch (err) {
    return fail(id, toApiError(err))
  }
}

function fail(id: number | null, error: ApiErrorShape): WireFailure {
  return { id, error }
}

/**
 * Serves the backend to every client of `wss`. `greeting` builds the events a client gets on
 * connecting (the current records, settings and config), so a client that reconnects after a drop
 * catches up on what it missed. Returns a function that stops it all.
 */
export function bridgeWebSocket(
  wss: WebSocketServer,
  backend: BridgedBackend,
  greeting: () => Promise<EventFrame[]>,
  /** A fault of ours (not a client's bad frame): reported, and serve goes on. */
  onError: (err: unknown, where: string) => void = (err, where) =>
    console.error(`modeldl serve: unexpected error in ${where}:`, err),
): () => void {
  const alive = new WeakSet<WebSocket>()
  const send = (ws: WebSocket, frame: string): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame)
  }

  const offEvents = backend.onEvent((channel, payload) => {
    try {
      const frame = encodeMessage(eventFrame(channel, payload))
      for (const ws of wss.clients) {
        if (channel === 'downloads:progress' && ws.bufferedAmount > SLOW_CLIENT_BYTES) continue
        send(ws, frame)
      }
    } catch (err) {
      onError(err, `the ${channel} event`)
    }
  })

  const onMessage = (
    ws: WebSocket,
    budget: InvokeBudget,
    raw: WebSocket.RawData,
    isBinary: boolean,
  ): void => {
    if (isBinary) {
      ws.close(1003, 'JSON text frames only')
      return
    }
    // Checked before the frame is parsed: a flood costs us a clock reading per frame.
    const turn = budget.take()
    if (turn === 'disconnect') {
      ws.close(1008, FLOOD_CLOSE_REASON)
      return
    }
    const reading = readRequest(raw.toString())
    if (!reading.ok && reading.problem === 'not-json') {
      ws.close(1007, 'Not JSON')
      return
    }
    if (!reading.ok && reading.id === null) {
      // Nothing to answer to: not a request at all.
      ws.close(1008, 'Not a request frame')
      return
    }
    const id = reading.ok ? reading.request.id : reading.id
    if (turn === 'refuse') {
      send(ws, encodeMessage(fail(id, { code: 'bad_request', message: TOO_MANY_INVOKES })))
      return
    }
    if (!reading.ok) {
      send(
        ws,
        encodeMessage(
          fail(id, { code: 'bad_request', message: 'Not a request: {id, method, params?: [request]}' }),
        ),
      )
      return
    }
    answer(backend, reading.request)
      .then((response) => send(ws, encodeMessage(response)))
      .catch((err: unknown) => {
        // answer() turns a handler's failure into an error; this is a result that would not serialise.
        onError(err, 'answering an invoke')
        send(
          ws,
          encodeMessage(fail(id, { code: 'internal', message: 'modeldl serve could not send this result' })),
        )
      })
  }

  wss.on('connection', (ws) => {
    // ws has already closed the connection with the code that fits (1007 invalid UTF-8, 1009 a frame over
    // MAX_WS_FRAME_BYTES, 1002 a protocol error) or lost it: the error is the client's, and without
    // this listener it would be an uncaught 'error' event that ends serve.
    ws.on('error', () => {
      if (ws.readyState === WebSocket.OPEN) ws.terminate()
    })
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
    const budget = new InvokeBudget()
    ws.on('message', (raw, isBinary) => {
      try {
        onMessage(ws, budget, raw, isBinary)
      } catch (err) {
        onError(err, 'a WebSocket frame')
        ws.close(1011, 'Internal error')
      }
    })
    greeting()
      .then((frames) => frames.forEach((f) => send(ws, encodeMessage(f))))
      .catch((err: unknown) => onError(err, 'the greeting of a new WebSocket client'))
  })

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      try {
        if (!alive.has(ws)) {
          ws.terminate()
          continue
        }
        alive.delete(ws)
        ws.ping()
      } catch (err) {
        onError(err, 'the WebSocket heartbeat')
      }
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()

  return () => {
    clearInterval(heartbeat)
    offEvents()
  }
}
