// Type tests (vitest typecheck: `tsc -p tsconfig.node.json`) that keep the IPC contract, its channel
// lists, the zod schemas, the preload and window.api in step. Adding a channel to InvokeContract or
// EventContract without a method, a schema or the right signature fails here.
import { describe, expectTypeOf, it } from 'vitest'
import type { IpcRenderer } from 'electron'
import type { ZodType } from 'zod'
import type {
  Api,
  ApiHandlers,
  AppInfo,
  EVENT_METHODS,
  EventChannel,
  EventContract,
  INVOKE_METHODS,
  InvokeChannel,
  InvokeContract,
  RequestOf,
  Unsubscribe,
} from '../../src/shared/api-contract'
import { INVOKE_SCHEMAS } from '../../src/shared/api-schemas'
import type { EnqueueRequest, EnqueueResult, ProgressTick } from '../../src/shared/service-contract'
import type { UrlDownloadResult, UrlModelInfo, UrlModelRequest } from '../../src/shared/url-model'
import type { WorkflowDownloadRequest, WorkflowDownloadResult } from '../../src/shared/workflow'
import { createBridgeApi, type RendererIpc } from '../../src/preload/bridge-api'
// The global `Window` augmentation the renderer sees (src/preload/api.d.ts is part of this project too).
import type {} from '../../src/preload/api'

type ValueOf<T> = T[keyof T]
/** Keys of T whose value another key also has: `never` when every value appears once. */
type DuplicateKeys<T extends Record<string, string>> = {
  [K in keyof T]: T[K] extends T[Exclude<keyof T, K>] ? K : never
}[keyof T]

type InvokeMethods = typeof INVOKE_METHODS
type EventMethods = typeof EVENT_METHODS

describe('invoke channels', () => {
  it('INVOKE_METHODS names every InvokeChannel, and nothing else', () => {
    expectTypeOf<ValueOf<InvokeMethods>>().toEqualTypeOf<InvokeChannel>()
    expectTypeOf<InvokeChannel>().toEqualTypeOf<keyof InvokeContract>()
  })

  it('INVOKE_METHODS names each channel exactly once', () => {
    expectTypeOf<DuplicateKeys<InvokeMethods>>().toBeNever()
  })

  it('INVOKE_SCHEMAS has one schema per channel, parsing to that channel’s request', () => {
    expectTypeOf<keyof typeof INVOKE_SCHEMAS>().toEqualTypeOf<InvokeChannel>()
    expectTypeOf(INVOKE_SCHEMAS['downloads:enqueue']).toEqualTypeOf<ZodType<EnqueueRequest>>()
    expectTypeOf(INVOKE_SCHEMAS['workflow:download']).toEqualTypeOf<ZodType<WorkflowDownloadRequest>>()
    expectTypeOf(INVOKE_SCHEMAS['url:download']).toEqualTypeOf<ZodType<UrlModelRequest>>()
    expectTypeOf<{ [C in InvokeChannel]: ZodType<RequestOf<C>> }>().toEqualTypeOf<typeof INVOKE_SCHEMAS>()
  })

  it('ApiHandlers has one handler per channel, taking the request and answering the response', () => {
    expectTypeOf<keyof ApiHandlers>().toEqualTypeOf<InvokeChannel>()
    expectTypeOf<ApiHandlers['downloads:enqueue']>().toEqualTypeOf<
      (request: EnqueueRequest) => Promise<EnqueueResult>
    >()
  })
})

describe('event channels', () => {
  it('EVENT_METHODS names every EventChannel exactly once', () => {
    expectTypeOf<ValueOf<EventMethods>>().toEqualTypeOf<EventChannel>()
    expectTypeOf<EventChannel>().toEqualTypeOf<keyof EventContract>()
    expectTypeOf<DuplicateKeys<EventMethods>>().toBeNever()
  })
})

describe('the Api the renderer sees', () => {
  it('has exactly one member per invoke method and per event method, with no name used twice', () => {
    expectTypeOf<keyof Api>().toEqualTypeOf<keyof InvokeMethods | keyof EventMethods>()
    expectTypeOf<Extract<keyof InvokeMethods, keyof EventMethods>>().toBeNever()
  })

  it('takes no argument for a void request, the request otherwise, and answers the response', () => {
    expectTypeOf<Api['appInfo']>().toEqualTypeOf<() => Promise<AppInfo>>()
    expectTypeOf<Api['list']>().parameters.toEqualTypeOf<[]>()
    expectTypeOf<Api['enqueue']>().toEqualTypeOf<(request: EnqueueRequest) => Promise<EnqueueResult>>()
    expectTypeOf<Api['reveal']>().toEqualTypeOf<(request: { id: string }) => Promise<void>>()
    expectTypeOf<Api['downloadWorkflow']>().toEqualTypeOf<
      (request: WorkflowDownloadRequest) => Promise<WorkflowDownloadResult>
    >()
    expectTypeOf<Api['lookUpUrl']>().toEqualTypeOf<(request: UrlModelRequest) => Promise<UrlModelInfo>>()
    expectTypeOf<Api['downloadUrl']>().toEqualTypeOf<
      (request: UrlModelRequest) => Promise<UrlDownloadResult>
    >()
  })

  it('gives every on… a listener of that event’s payload and returns an unsubscribe', () => {
    expectTypeOf<Api['onProgress']>().toEqualTypeOf<
      (listener: (payload: ProgressTick) => void) => Unsubscribe
    >()
    expectTypeOf<Api['onFocusModel']>().parameter(0).parameter(0).toEqualTypeOf<{ id: string }>()
    expectTypeOf<ReturnType<Api['onChanged']>>().toEqualTypeOf<() => void>()
  })
})

describe('the preload', () => {
  it('exposes an Api built from the real ipcRenderer', () => {
    expectTypeOf(createBridgeApi).returns.toEqualTypeOf<Api>()
    // src/preload/index.ts hands Electron's ipcRenderer to the bridge: it must fit RendererIpc.
    expectTypeOf<IpcRenderer>().toExtend<RendererIpc>()
  })

  it('types window.api for the renderer: present in Electron, absent in a browser', () => {
    expectTypeOf<Window['api']>().toEqualTypeOf<Api | undefined>()
    expectTypeOf<Window>().toHaveProperty('api')
  })
})
