// Every window request (Electron IPC or the WebSocket of `modeldl serve`) passes here before a
// handler runs: its channel's schema (sizes and shapes, src/shared/api-schemas.ts), and whatever a
// handler throws leaves as an ApiError with a code. The doors only carry envelopes: one that forgets a
// check cannot skip this one, because the handlers they are given are already wrapped.
import { type ApiHandlers, type InvokeChannel } from '../../shared/api-contract'
import { INVOKE_SCHEMAS } from '../../shared/api-schemas'
import { describeZodError } from '../../shared/service-schemas'
import { asApiError } from '../app/api-errors'
import { GateError } from './path-gate'

type Handler = (request: unknown) => Promise<unknown>

/** `handlers` with each request validated first and each failure an ApiError. */
export function gatedHandlers<H extends Partial<ApiHandlers>>(handlers: H): H {
  const gated: Partial<Record<InvokeChannel, Handler>> = {}
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    const handler = handlers[channel] as Handler
    const schema = INVOKE_SCHEMAS[channel]
    gated[channel] = async (request: unknown) => {
      try {
        const parsed = schema.safeParse(request)
        if (!parsed.success) {
          throw new GateError('bad_request', `Invalid ${channel} request: ${describeZodError(parsed.error)}`)
        }
        return await handler(parsed.data)
      } catch (err) {
        throw asApiError(err)
      }
    }
  }
  return gated as H
}
