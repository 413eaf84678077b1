import { beforeEach, describe, expect, it, vi } from 'vitest'
import { gatedHandlers } from '../../../src/core/gate/request-gate'
import { ServiceError } from '../../../src/core/service/owner/service-error'
import { registerInvokeHandlers } from '../../../src/main/ipc/register-invoke-handlers'
import { ownTopFrameGuard } from '../../../src/main/ipc/sender-guard'
import {
  ApiError,
  INVOKE_CHANNELS,
  type ApiEnvelope,
  type ApiHandlers,
  type InvokeChannel,
} from '../../../src/shared/api-contract'
import { fake, FakeBrowserWindow, FakeWebContents, resetFakeElectron } from '../support/fake-electron'

vi.mock('electron', async () => (await import('../support/fake-electron')).electronModule)

const INDEX_HTML = '/opt/model-downloader/out/renderer/index.html'
const renderer = { indexHtml: INDEX_HTML }

/** One recording handler per channel, answering `result of <channel>`. */
function recordingHandlers(): ApiHandlers & Record<InvokeChannel, ReturnType<typeof vi.fn>> {
  return Object.fromEntries(
    INVOKE_CHANNELS.map((channel) => [channel, vi.fn(async () => `result of ${channel}`)]),
  ) as unknown as ApiHandlers & Record<InvokeChannel, ReturnType<typeof vi.fn>>
}

function setUp() {
  const win = new FakeBrowserWindow()
  void win.loadFile(INDEX_HTML)
  const handlers = recordingHandlers()
  const log = { warn: vi.fn(), error: vi.fn() }
  const unregister = registerInvokeHandlers({
    ipc: fake.ipcMain,
    // As main registers them: the backend's handlers come through the gate.
    handlers: gatedHandlers(handlers),
    guard: ownTopFrameGuard(() => (win.isDestroyed() ? [] : [win.webContents.asWebContents()]), renderer),
    log,
  })
  const invoke = (channel: string, payload?: unknown, event = win.webContents.invokeEvent()) =>
    fake.ipcMain.invoke(channel, event, payload) as Promise<ApiEnvelope<unknown>>
  return { win, handlers, log, unregister, invoke }
}

beforeEach(() => resetFakeElectron())

describe('registerInvokeHandlers', () => {
  it('registers one handler per contract channel and removes them all again', () => {
    const { unregister } = setUp()
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort())
    unregister()
    expect(fake.ipcMain.handlers.size).toBe(0)
  })

  it('calls the backend handler with the validated request and wraps its answer', async () => {
    const { handlers, invoke } = setUp()
    const selector = { group: 'loras', modelName: 'detail.safetensors' }
    expect(await invoke('downloads:cancel', selector)).toEqual({
      ok: true,
      result: 'result of downloads:cancel',
    })
    expect(handlers['downloads:cancel']).toHaveBeenCalledExactlyOnceWith(selector)

    expect(await invoke('app:info')).toEqual({ ok: true, result: 'result of app:info' })
    expect(handlers['app:info']).toHaveBeenCalledOnce()

    const open = { path: '/home/me/models.json' }
    expect(await invoke('config:open', open)).toMatchObject({ ok: true })
    expect(handlers['config:open']).toHaveBeenCalledWith(open)
    // Only the named handler ran.
    const others = INVOKE_CHANNELS.filter((c) => !['downloads:cancel', 'app:info', 'config:open'].includes(c))
    for (const channel of others) expect(handlers[channel]).not.toHaveBeenCalled()
  })

  it('hands the handler what the schema parsed, not the raw payload', async () => {
    const { handlers, invoke } = setUp()
    await invoke('scan:start', { uri: 's3://models/loras/', allTypes: true })
    expect(handlers['scan:start']).toHaveBeenCalledWith({ uri: 's3://models/loras/', allTypes: true })
  })

  it('answers bad_request naming the field when the payload fails its schema, without calling the handler', async () => {
    const { handlers, invoke } = setUp()
    const relative = await invoke('config:open', { path: 'models.json' })
    expect(relative).toEqual({
      ok: false,
      error: {
        code: 'bad_request',
        message: 'Invalid config:open request: path: must be an absolute path',
      },
    })
    const nested = await invoke('settings:update', { concurrency: 99 })
    expect(nested).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect((nested as { error: { message: string } }).error.message).toContain(
      'concurrency: must be at most 64',
    )

    const entry = await invoke('downloads:move', { id: '/m/a.safetensors', position: 'sideways' })
    expect((entry as { error: { message: string } }).error.message).toMatch(
      /^Invalid downloads:move request: position:/,
    )

    // A channel that takes nothing refuses something.
    expect(await invoke('app:info', { surprise: true })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringContaining('(request)') },
    })
    expect(await invoke('config:open')).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(handlers['config:open']).not.toHaveBeenCalled()
    expect(handlers['settings:update']).not.toHaveBeenCalled()
    expect(handlers['app:info']).not.toHaveBeenCalled()
  })

  it('refuses a sender that is not our own top frame before looking at the payload', async () => {
    const { win, handlers, log, invoke } = setUp()
    const contents = win.webContents
    const cases: Array<[string, ReturnType<FakeWebContents['invokeEvent']>, RegExp]> = [
      [
        'an iframe of our page',
        contents.invokeEvent(contents.mainFrame.child('file://' + INDEX_HTML)),
        /top frame/,
      ],
      [
        'a cross-origin iframe',
        contents.invokeEvent(contents.mainFrame.child('https://evil.example/')),
        /top frame/,
      ],
      [
        'another webContents',
        new FakeWebContents('file://' + INDEX_HTML).invokeEvent(),
        /not a window of this app/,
      ],
      ['a frame that is gone', contents.invokeEvent(null), /frame is gone/],
    ]
    for (const [what, event, why] of cases) {
      const answer = await invoke('downloads:cancel', { all: true }, event)
      expect(answer, what).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      expect((answer as { error: { message: string } }).error.message, what).toMatch(why)
    }
    // Our window, navigated somewhere else.
    contents.mainFrame.url = 'https://evil.example/phish.html'
    const navigated = await invoke('downloads:cancel', { all: true })
    expect(navigated).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('https://evil.example/phish.html') },
    })
    // Even a request that would fail its schema is refused as forbidden: the sender is checked first.
    expect(await invoke('config:open', { path: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    expect(handlers['downloads:cancel']).not.toHaveBeenCalled()
    expect(log.warn).toHaveBeenCalledTimes(cases.length + 2)
  })

  it('always answers an envelope: handler errors keep their code, accidents become internal', async () => {
    const { handlers, log, invoke } = setUp()
    handlers['downloads:list'].mockRejectedValueOnce(new ApiError('not_found', 'No such model'))
    expect(await invoke('downloads:list')).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No such model' },
    })
    handlers['downloads:status'].mockRejectedValueOnce(new ServiceError('not_owner', 'Owner changed'))
    expect(await invoke('downloads:status')).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'Owner changed' },
    })
    expect(log.error).not.toHaveBeenCalled()

    handlers['config:recent'].mockRejectedValueOnce(new TypeError('x is undefined'))
    expect(await invoke('config:recent')).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Unexpected error: x is undefined' },
    })
    handlers['config:current'].mockImplementationOnce(() => {
      throw 'a string' // thrown synchronously, not even an Error
    })
    expect(await invoke('config:current')).toMatchObject({ ok: false, error: { code: 'internal' } })
    expect(log.error).toHaveBeenCalledTimes(2)
  })

  it('never lets a rejection cross: every channel resolves for every kind of bad input', async () => {
    const { handlers, invoke } = setUp()
    for (const channel of INVOKE_CHANNELS) handlers[channel].mockRejectedValue(new Error('boom'))
    const payloads: unknown[] = [undefined, null, 42, 'text', { all: true }, [], { path: '/a/b.json' }]
    for (const channel of INVOKE_CHANNELS) {
      for (const payload of payloads) {
        const answer = await invoke(channel, payload)
        expect(answer, `${channel} ${JSON.stringify(payload)}`).toHaveProperty('ok')
        if (!answer.ok) expect(typeof answer.error.message).toBe('string')
      }
    }
  })
})
