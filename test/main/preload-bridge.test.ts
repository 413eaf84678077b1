// The object the preload exposes as window.api, driven through a recording ipcRenderer: the runtime
// half of test/shared/api-contract.test-d.ts.
import { describe, expect, it, vi } from 'vitest'
import { createBridgeApi, type RendererIpc } from '../../src/preload/bridge-api'
import { EVENT_METHODS, INVOKE_METHODS, rejectionToApiError } from '../../src/shared/api-contract'

type Listener = (event: unknown, ...args: unknown[]) => void

function fakeIpcRenderer(answer: (channel: string, payload: unknown) => unknown) {
  const listeners = new Map<string, Set<Listener>>()
  const ipc = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => answer(channel, args[0])),
    on: (channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)!.add(listener)
    },
    removeListener: (channel: string, listener: Listener) => void listeners.get(channel)?.delete(listener),
  } satisfies RendererIpc
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'the IPC event', ports: [] }, payload)
  }
  return { ipc, emit, listeners }
}

describe('the preload bridge (window.api)', () => {
  it('has one function per invoke and per event method, and nothing else; it cannot be changed', () => {
    const api = createBridgeApi(fakeIpcRenderer(() => ({ ok: true, result: null })).ipc)
    expect(Object.keys(api).sort()).toEqual(
      [...Object.keys(INVOKE_METHODS), ...Object.keys(EVENT_METHODS)].sort(),
    )
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    expect(Object.isFrozen(api)).toBe(true)
    expect(api).not.toHaveProperty('invoke')
    expect(api).not.toHaveProperty('ipcRenderer')
  })

  it('invokes each method’s channel with the request only, and unwraps the envelope', async () => {
    const { ipc } = fakeIpcRenderer((channel, payload) => ({ ok: true, result: { channel, payload } }))
    const api = createBridgeApi(ipc)
    for (const [method, channel] of Object.entries(INVOKE_METHODS)) {
      const call = (api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!
      expect(await call({ n: 1 }, 'extra argument')).toEqual({ channel, payload: { n: 1 } })
      expect(ipc.invoke).toHaveBeenLastCalledWith(channel, { n: 1 })
    }
    expect(await api.list()).toEqual({ channel: 'downloads:list', payload: undefined })
  })

  it('rejects with a plain ApiError object that survives the context bridge with its code', async () => {
    const { ipc } = fakeIpcRenderer(() => ({ ok: false, error: { code: 'forbidden', message: 'Refused' } }))
    const api = createBridgeApi(ipc)
    const reason = await api.status().catch((e: unknown) => e)
    expect(reason).toEqual({ name: 'ApiError', code: 'forbidden', message: 'Refused' })
    expect(reason).not.toBeInstanceOf(Error) // an Error would lose `code` crossing the bridge
    expect(rejectionToApiError(reason)).toMatchObject({
      name: 'ApiError',
      code: 'forbidden',
      message: 'Refused',
    })
  })

  it('passes listeners the payload only, never the IPC event, and returns an unsubscribe', () => {
    const { ipc, emit, listeners } = fakeIpcRenderer(() => null)
    const api = createBridgeApi(ipc)
    const got: unknown[][] = []
    const off = api.onFocusModel((...args: unknown[]) => got.push(args))
    emit('app:focusModel', { id: '/m/a' })
    expect(got).toEqual([[{ id: '/m/a' }]])
    off()
    emit('app:focusModel', { id: '/m/b' })
    expect(got).toHaveLength(1)
    expect(listeners.get('app:focusModel')?.size).toBe(0)

    // Every on… listens on its own channel.
    for (const [method, channel] of Object.entries(EVENT_METHODS)) {
      const seen: unknown[] = []
      const subscribe = (api as unknown as Record<string, (l: (p: unknown) => void) => () => void>)[method]!
      const unsubscribe = subscribe((p) => seen.push(p))
      emit(channel, channel)
      expect(seen, method).toEqual([channel])
      unsubscribe()
    }
  })
})
