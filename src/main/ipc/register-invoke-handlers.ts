import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import {
  INVOKE_CHANNELS,
  type ApiEnvelope,
  type ApiHandlers,
  type InvokeChannel,
} from '../../shared/api-contract'
import { INVOKE_SCHEMAS } from '../../shared/api-schemas'
import { describeZodError } from '../../shared/service-schemas'
import { toApiError } from '../../core/app/api-errors'
import type { SenderGuard } from './sender-guard'

export interface InvokeRegistration {
  ipc: Pick<IpcMain, 'handle' | 'removeHandler'>
  handlers: ApiHandlers
  guard: SenderGuard
  log: { warn(message: string): void; error(message: string, ...data: unknown[]): void }
}

/**
 * The one place an invoke from a window enters main. Every channel of the contract gets the same
 * treatment: the sender must be our own top frame, the payload must pass its zod schema, and the
 * answer is always an ApiEnvelope: nothing thrown in main crosses to the renderer raw.
 * Returns a function that removes every handler again.
 */
export function registerInvokeHandlers({ ipc, handlers, guard, log }: InvokeRegistration): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipc.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) =>
      answer(channel, event, payload, { handlers, guard, log }),
    )
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipc.removeHandler(channel)
  }
}

async function answer(
  channel: InvokeChannel,
  event: IpcMainInvokeEvent,
  payload: unknown,
  { handlers, guard, log }: Omit<InvokeRegistration, 'ipc'>,
): Promise<ApiEnvelope<unknown>> {
  const refused = guard(event)
  if (refused !== null) {
    log.warn(`IPC ${channel} refused: ${refused}`)
    return { ok: false, error: { code: 'forbidden', message: `Refused ${channel}: ${refused}` } }
  }
  const parsed = INVOKE_SCHEMAS[channel].safeParse(payload)
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'bad_request',
        message: `Invalid ${channel} request: ${describeZodError(parsed.error)}`,
      },
    }
  }
  try {
    // The schema map and the handler map are keyed by the same channel; TypeScript cannot correlate
    // the two lookups through a union key, so the request is passed through one widened call.
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data) }
  } catch (err) {
    const error = toApiError(err)
    if (error.code === 'internal') log.error(`IPC ${channel} failed`, err)
    return { ok: false, error }
  }
}
