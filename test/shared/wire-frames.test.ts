// One envelope, two doors: the local socket (one message per line, service methods) and the WebSocket
// of `modeldl serve` (one message per frame, Api channels) carry the same message shapes of
// src/shared/wire-envelope.ts. Both real servers are run here and spoken to by hand, then through
// their real clients (the socket transport, and the window's WebSocket client with the `ws` class).
import { createConnection, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { bridgeWebSocket, type BridgedBackend } from '../../src/cli/serve/ws-bridge'
import { connectSocket } from '../../src/core/service/owner/socket-client'
import { serveService } from '../../src/core/service/owner/socket-server'
import { statePaths } from '../../src/core/service/state-paths'
import { ApiError, type Api, type ApiHandlers, type EmitEvent } from '../../src/shared/api-contract'
import type { ServiceChange } from '../../src/shared/service-contract'
import {
  encodeMessage,
  wireReplySchema,
  wireRequestSchema,
  type WireMessage,
} from '../../src/shared/wire-envelope'
import { FakeService, sampleEntry } from '../core/service/owner/fake-service'
import { tempDirs } from '../support/temp'

// The window's WebSocket client is renderer code, type-checked by the web project (DOM types), which
// this node project may not list: it is loaded by path, with the one signature this test uses.
type CreateWebSocketApi = (url: string, options: { WebSocket: unknown }) => Api & { close(): void }
const WEBSOCKET_API = '../../src/renderer/src/transport/websocket-api'
async function loadWebSocketApi(): Promise<CreateWebSocketApi> {
  const module = (await import(/* @vite-ignore */ WEBSOCKET_API)) as {
    createWebSocketApi: CreateWebSocketApi
  }
  return module.createWebSocketApi
}

const temp = tempDirs()
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await temp.cleanup()
})

/** The owner's socket over a FakeService, and a raw line reader of it. */
async function socketDoor(fake: FakeService) {
  const { socketPath } = statePaths(await temp.make('wire-'))
  const server = await serveService(fake, fake.events, socketPath)
  cleanups.push(() => server.close())
  const socket: Socket = createConnection(socketPath)
  cleanups.push(() => socket.destroy())
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let buffered = ''
  const lines: string[] = []
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, nl + 1))
      buffered = buffered.slice(nl + 1)
    }
  })
  const next = async (): Promise<string> => {
    await expect.poll(() => lines.length).toBeGreaterThan(0)
    return lines.shift()!
  }
  return { socketPath, send: (m: WireMessage) => socket.write(`${encodeMessage(m)}\n`), next }
}

/** The serve WebSocket bridge over the same FakeService, as app-backend would hand it on. */
async function webSocketDoor(fake: FakeService) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const handlers = {
    'downloads:list': () => fake.list(),
    'downloads:move': ({ id, position }: { id: string; position: 'top' }) => fake.move(id, position),
  } as unknown as ApiHandlers
  const backend: BridgedBackend = {
    handlers,
    onEvent: (emit: EmitEvent) =>
      fake.events.on((e) => {
        if (e.type === 'changed') emit('downloads:changed', e.data)
        else emit('downloads:progress', e.data)
      }),
  }
  const stop = bridgeWebSocket(wss, backend, async () => [])
  cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())))
  cleanups.push(stop)
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/api`
  const ws = new WebSocket(url)
  cleanups.push(() => ws.close())
  const frames: string[] = []
  ws.on('message', (data) => frames.push(data.toString()))
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject))
  const next = async (): Promise<string> => {
    await expect.poll(() => frames.length).toBeGreaterThan(0)
    return frames.shift()!
  }
  return { url, send: (m: WireMessage) => ws.send(encodeMessage(m)), next }
}

/** A message's shape: its keys, and what kind of value each holds. */
function shape(text: string): Record<string, string> {
  const value = JSON.parse(text) as Record<string, unknown>
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v]),
  )
}

describe('one envelope for the socket and the WebSocket', () => {
  it('a call, its result, its error and an event have the same shape on both doors', async () => {
    const fake = new FakeService()
    await fake.enqueue({ entries: [sampleEntry('a.safetensors')] })
    const line = await socketDoor(fake)
    const frame = await webSocketDoor(fake)

    // A call: the same envelope, the method named in each door's own words.
    const calls = [
      { id: 7, method: 'list' },
      { id: 7, method: 'downloads:list' },
    ]
    for (const call of calls) expect(wireRequestSchema.parse(call)).toEqual(call)
    line.send(calls[0]!)
    frame.send(calls[1]!)
    const [listLine, listFrame] = [await line.next(), await frame.next()]
    // One message per line on the socket, one per frame on the WebSocket: the same text but the newline.
    expect(listLine).toBe(`${listFrame}\n`)
    expect(JSON.parse(listFrame)).toEqual({ id: 7, result: [...fake.records.values()] })

    line.send({ id: 8, method: 'move', params: ['/nope', 'top'] })
    frame.send({ id: 8, method: 'downloads:move', params: [{ id: '/nope', position: 'top' }] })
    const [errorLine, errorFrame] = [await line.next(), await frame.next()]
    expect(errorLine).toBe(`${errorFrame}\n`)
    expect(JSON.parse(errorFrame)).toEqual({
      id: 8,
      error: { code: 'not_found', message: 'No model /nope in the queue' },
    })

    line.send({ id: 9, method: 'subscribe' })
    expect(JSON.parse(await line.next())).toEqual({ id: 9, result: null })
    const event = fake.changed({ removed: ['/m/b'] })
    const [eventLine, eventFrame] = [await line.next(), await frame.next()]
    expect(JSON.parse(eventLine)).toEqual({ event: 'changed', data: event.data })
    expect(JSON.parse(eventFrame)).toEqual({ event: 'downloads:changed', data: event.data })
    expect(shape(eventLine)).toEqual(shape(eventFrame))

    for (const text of [listLine, listFrame, errorLine, errorFrame, eventLine, eventFrame]) {
      expect(wireReplySchema.safeParse(JSON.parse(text)).success, text).toBe(true)
    }
  })

  it('the socket transport and the window WebSocket client read them alike', async () => {
    const fake = new FakeService()
    await fake.enqueue({ entries: [sampleEntry('a.safetensors')] })
    const { socketPath } = await socketDoor(fake)
    const { url } = await webSocketDoor(fake)

    const transport = await connectSocket(socketPath)
    cleanups.push(() => transport.close())
    const createWebSocketApi = await loadWebSocketApi()
    const api = createWebSocketApi(url, { WebSocket })
    cleanups.push(() => api.close())

    const [overSocket, overWebSocket] = await Promise.all([transport.api.list(), api.list()])
    expect(overWebSocket).toEqual(overSocket)
    await expect(transport.api.move('/nope', 'top')).rejects.toMatchObject({ code: 'not_found' })
    const refused = await api.move({ id: '/nope', position: 'top' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ApiError)
    expect(refused).toMatchObject({ code: 'not_found', message: 'No model /nope in the queue' })

    const socketSeen: unknown[] = []
    const windowSeen: ServiceChange[] = []
    await transport.subscribe((e) => socketSeen.push(e))
    api.onChanged((change) => windowSeen.push(change))
    const event = fake.changed({ queue: ['/models/loras/a.safetensors'] })
    await expect.poll(() => socketSeen.length + windowSeen.length).toBe(2)
    expect(socketSeen).toEqual([event])
    expect(windowSeen).toEqual([event.data])
  })
})
