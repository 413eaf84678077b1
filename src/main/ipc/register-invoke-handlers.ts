import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import {
  INVOKE_CHANNELS,
  type ApiEnvelope,
  type ApiHandlers,
  type InvokeChannel,
} from '../../shared/api-contract'
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
 * treatment: the sender must be our own top frame, and the answer is always an ApiEnvelope: nothing
 * thrown in main crosses to the renderer raw. The payload's checks (schema, paths, settings) are the
 * gate's, in core: `handlers` come from createAppBackend and gatedHandlers, which apply them.
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
  try {
    // TypeScript cannot correlate a handler with its request through a union key: one widened call.
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>
    return { ok: true, result: await handler(payload) }
  } catch (err) {
    const error = toApiError(err)
    if (error.code === 'internal') log.error(`IPC ${channel} failed`, err)
    return { ok: false, error }
  }
}
