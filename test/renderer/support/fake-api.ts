// An in-memory Api for the renderer's tests. It stands in for the transport (the preload's window.api or
// the WebSocket client, both tested end to end elsewhere): it records every call, answers with a default
// or a test's own handler, can hold calls so a test resolves or rejects them when it chooses, and lets a
// test emit any event the service would push.
import {
  ApiError,
  EVENT_METHODS,
  INVOKE_METHODS,
  type Api,
  type EventContract,
  type RequestOf,
  type ResponseOf,
} from '../../../src/shared/api-contract'
import { appInfo, enqueueResult, serviceSnapshot, serviceStatus, settingsView } from './fixtures'

export type InvokeMethod = keyof typeof INVOKE_METHODS
export type EventMethod = keyof typeof EVENT_METHODS
export type RequestFor<M extends InvokeMethod> = RequestOf<(typeof INVOKE_METHODS)[M]>
export type ResponseFor<M extends InvokeMethod> = ResponseOf<(typeof INVOKE_METHODS)[M]>
export type PayloadFor<E extends EventMethod> = EventContract[(typeof EVENT_METHODS)[E]]
export type Handler<M extends InvokeMethod> = (
  request: RequestFor<M>,
) => ResponseFor<M> | Promise<ResponseFor<M>>

export interface RecordedCall {
  method: InvokeMethod
  request: unknown
}

export interface HeldCall<M extends InvokeMethod> {
  request: RequestFor<M>
  resolve(value: ResponseFor<M>): void
  reject(reason: unknown): void
}

type Handlers = { [M in InvokeMethod]: Handler<M> }

function defaultHandlers(): Handlers {
  return {
    appInfo: () => appInfo(),
    enqueue: (r) => enqueueResult({ queued: r.entries.map((e) => e.localPath) }),
    cancel: (s) => ('ids' in s ? s.ids : []),
    pause: (s) => ('ids' in s ? s.ids : []),
    resume: (s) => ('ids' in s ? s.ids : []),
    retry: (s) => ('ids' in s ? s.ids : []),
    move: () => undefined,
    list: () => [],
    // Replaced in createFakeApi: the records of whatever `list` answers, at revision 0.
    snapshot: () => serviceSnapshot([]),
    status: () => serviceStatus(),
    currentConfig: () => null,
    openConfig: () => ({ ok: false, message: 'No such file', issues: [] }),
    loadConfigText: () => ({ ok: false, message: 'Not a model config', issues: [] }),
    openSampleConfig: () => ({ ok: false, message: 'No sample config in this test', issues: [] }),
    recentConfigs: () => [],
    saveConfig: (r) => ({ path: r.path, written: r.models.length, kept: 0 }),
    statLocal: () => ({}),
    getSettings: () => settingsView(),
    updateSettings: () => settingsView(),
    testConnection: () => ({ ok: true, message: 'Listed the bucket', elapsedMs: 12 }),
    startScan: () => ({ scanId: 'scan-1' }),
    cancelScan: () => undefined,
    openWorkflow: () => {
      throw new ApiError('bad_request', 'Not a workflow in this test')
    },
    downloadWorkflow: () => ({ enqueued: null, notQueued: [] }),
    lookUpUrl: () => {
      throw new ApiError('unavailable', 'No URL look-up in this test')
    },
    downloadUrl: () => {
      throw new ApiError('unavailable', 'No URL download in this test')
    },
    openConfigDialog: () => null,
    openWorkflowDialog: () => null,
    saveConfigDialog: () => null,
    reveal: () => undefined,
  }
}

export interface FakeApi {
  /** The Api to hand to the store, the bridge or AppProvider. */
  readonly api: Api
  /** Every invoke in the order it was made. */
  readonly calls: readonly RecordedCall[]
  /** The requests made to one method, in order. */
  requestsOf<M extends InvokeMethod>(method: M): RequestFor<M>[]
  /** Answer this method with a handler from now on (throw or reject in it to fail the call). */
  handle<M extends InvokeMethod>(method: M, handler: Handler<M>): void
  /** Fail every later call of this method with an ApiError. */
  failWith(method: InvokeMethod, message: string, code?: ApiError['code']): void
  /** Keep later calls of this method pending until the test settles them with `held`. */
  hold(method: InvokeMethod): void
  /** The oldest held call of this method, taken off the list. */
  held<M extends InvokeMethod>(method: M): HeldCall<M>
  /** How many calls of this method are held. */
  heldCount(method: InvokeMethod): number
  /** Push an event to every listener, as the service would. */
  emit<E extends EventMethod>(event: E, payload: PayloadFor<E>): void
  listenerCount(event: EventMethod): number
  /** Forget the recorded calls (handlers and held calls stay). */
  clearCalls(): void
}

export function createFakeApi(overrides: Partial<Handlers> = {}): FakeApi {
  const handlers: Record<string, (request: unknown) => unknown> = {
    ...defaultHandlers(),
    ...overrides,
  } as never
  // A test that only says what the service lists gets a snapshot of the same records.
  if (!overrides.snapshot)
    handlers['snapshot'] = async () => serviceSnapshot((await handlers['list']!(undefined)) as never)
  const calls: RecordedCall[] = []
  const holding = new Set<InvokeMethod>()
  const heldCalls = new Map<InvokeMethod, HeldCall<never>[]>()
  const listeners = new Map<EventMethod, Set<(payload: unknown) => void>>()

  const invoke = (method: InvokeMethod, request: unknown): Promise<unknown> => {
    calls.push({ method, request })
    if (holding.has(method)) {
      return new Promise((resolve, reject) => {
        const list = heldCalls.get(method) ?? []
        list.push({ request: request as never, resolve: resolve as never, reject })
        heldCalls.set(method, list)
      })
    }
    try {
      return Promise.resolve(handlers[method]!(request))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  const api: Record<string, unknown> = {}
  for (const method of Object.keys(INVOKE_METHODS) as InvokeMethod[]) {
    api[method] = (request?: unknown) => invoke(method, request)
  }
  for (const event of Object.keys(EVENT_METHODS) as EventMethod[]) {
    api[event] = (listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set()
      set.add(listener)
      listeners.set(event, set)
      return () => set.delete(listener)
    }
  }

  return {
    api: api as Api,
    calls,
    requestsOf: <M extends InvokeMethod>(method: M) =>
      calls.filter((c) => c.method === method).map((c) => c.request as RequestFor<M>),
    handle: (method, handler) => {
      handlers[method] = handler as (request: unknown) => unknown
    },
    failWith: (method, message, code = 'internal') => {
      handlers[method] = () => {
        throw new ApiError(code, message)
      }
    },
    hold: (method) => {
      holding.add(method)
    },
    held: <M extends InvokeMethod>(method: M): HeldCall<M> => {
      const next = heldCalls.get(method)?.shift()
      if (!next) throw new Error(`No held ${method} call`)
      return next as unknown as HeldCall<M>
    },
    heldCount: (method) => heldCalls.get(method)?.length ?? 0,
    emit: (event, payload) => {
      for (const listener of [...(listeners.get(event) ?? [])]) listener(payload)
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
    clearCalls: () => {
      calls.length = 0
    },
  }
}
