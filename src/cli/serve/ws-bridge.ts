// The Api contract over a WebSocket (src/shared/ws-protocol.ts): numbered invokes answered with
// envelopes, events pushed to every client. The handlers are the gated ones (src/core/gate): they
// validate each request themselves, so this door checks only the frame. A bad frame closes its own connection with the code that says why (1003
// binary, 1007 invalid UTF-8 or not JSON, 1008 not an invoke or a flood, 1009 too big), never serve.
import { WebSocket, type WebSocketServer } from 'ws'
import { z } from 'zod'
import {
  INVOKE_CHANNELS,
  type ApiErrorShape,
  type ApiHandlers,
  type EmitEvent,
  type InvokeChannel,
} from '../../shared/api-contract'
import { describeZodError } from '../../shared/service-schemas'
import type { EventFrame, ResultFrame } from '../../shared/ws-protocol'
import { toApiError } from '../../core/app/api-errors'
import { WS_INVOKE_BURST, WS_INVOKES_PER_SECOND } from '../../shared/limits'

export interface BridgedBackend {
  handlers: ApiHandlers
  onEvent(emit: EmitEvent): () => void
}

const InvokeFrameSchema = z.object({
  type: z.literal('invoke'),
  id: z.number().int().nonnegative(),
  channel: z.string(),
  request: z.unknown().optional(),
})

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

/** Answers one invoke frame: the handler's result, or an error envelope with a code. */
export async function answer(backend: BridgedBackend, data: unknown): Promise<ResultFrame | null> {
  const frame = InvokeFrameSchema.safeParse(data)
  if (!frame.success) {
    const id = (data as { id?: unknown } | null)?.id
    if (typeof id !== 'number') return null
    return fail(id, { code: 'bad_request', message: `Not an invoke frame: ${describeZodError(frame.error)}` })
  }
  const { id, channel, request } = frame.data
  if (!isChannel(channel)) return fail(id, { code: 'bad_request', message: `Unknown channel "${channel}"` })
  try {
    // The request's own checks (schema, paths, settings) are the gate's, in the handlers (src/core/gate).
    const handler = backend.handlers[channel] as (r: unknown) => Promise<unknown>
    const result = await handler(request)
    // A void result leaves `result` out of the JSON: the client's unwrap hands on undefined, as it should.
    return { type: 'result', id, ok: true, result }
  } catch (err) {
    return fail(id, toApiError(err))
  }
}

function fail(id: number, error: ApiErrorShape): ResultFrame {
  return { type: 'result', id, ok: false, error }
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
      const frame = JSON.stringify({ type: 'event', channel, payload })
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
    let data: unknown
    try {
      data = JSON.parse(raw.toString())
    } catch {
      ws.close(1007, 'Not JSON')
      return
    }
    if (turn === 'refuse') {
      const id = (data as { id?: unknown } | null)?.id
      if (typeof id !== 'number') {
        ws.close(1008, 'Not an invoke frame')
        return
      }
      send(ws, JSON.stringify(fail(id, { code: 'bad_request', message: TOO_MANY_INVOKES })))
      return
    }
    answer(backend, data)
      .then((frame) => {
        if (frame) send(ws, JSON.stringify(frame))
        else ws.close(1008, 'Not an invoke frame')
      })
      .catch((err: unknown) => {
        // answer() turns a handler's failure into an envelope; this is a result that would not serialise.
        onError(err, 'answering an invoke')
        const id = (data as { id?: unknown } | null)?.id
        if (typeof id === 'number') {
          send(
            ws,
            JSON.stringify(
              fail(id, { code: 'internal', message: 'modeldl serve could not send this result' }),
            ),
          )
        }
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
      .then((frames) => frames.forEach((f) => send(ws, JSON.stringify(f))))
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
