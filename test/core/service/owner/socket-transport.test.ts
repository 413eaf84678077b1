import { spawn, type ChildProcess } from 'node:child_process'
import { lstat, stat, writeFile } from 'node:fs/promises'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  SERVICE_METHODS,
  type DownloadServiceApi,
  type ServiceEvent,
} from '../../../../src/shared/service-contract'
import { ServiceError } from '../../../../src/core/service/owner/service-error'
import { connectSocket, type SocketTransport } from '../../../../src/core/service/owner/socket-client'
import { serveService, type ServiceServer } from '../../../../src/core/service/owner/socket-server'
import { MAX_REQUEST_LINE_BYTES } from '../../../../src/core/service/owner/wire-protocol'
import { statePaths } from '../../../../src/core/service/state-paths'
import { tempDirs } from '../../../support/temp'
import { exited, forkFixture, nextMessage } from './child-fixture'
import { FakeService, sampleEntry } from './fake-service'

const temp = tempDirs()
const cleanups: Array<() => unknown> = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL')
    await exited(child)
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await temp.cleanup()
})

async function start(): Promise<{ fake: FakeService; server: ServiceServer; socketPath: string }> {
  const fake = new FakeService()
  const { socketPath } = statePaths(await temp.make('sock-'))
  const server = await serveService(fake, fake.events, socketPath)
  cleanups.push(() => server.close())
  return { fake, server, socketPath }
}

async function connect(socketPath: string): Promise<SocketTransport> {
  const client = await connectSocket(socketPath, { timeoutMs: 5_000 })
  cleanups.push(() => client.close())
  return client
}

/** A raw connection speaking the wire protocol by hand, for what the typed client never sends. */
async function raw(socketPath: string): Promise<{ socket: Socket; lines: () => Promise<unknown> }> {
  const socket = createConnection(socketPath)
  cleanups.push(() => socket.destroy())
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let buffered = ''
  const waiting: Array<(line: unknown) => void> = []
  const queued: unknown[] = []
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as unknown
      buffered = buffered.slice(nl + 1)
      const waiter = waiting.shift()
      if (waiter) waiter(line)
      else queued.push(line)
    }
  })
  const lines = (): Promise<unknown> =>
    queued.length ? Promise.resolve(queued.shift()) : new Promise((resolve) => waiting.push(resolve))
  return { socket, lines }
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done)
      resolve()
    }
    socket.on('drain', done).on('close', done)
  })
}

describe('socket server and client', () => {
  it('round-trips every kind of call: results, void, selectors, options', async () => {
    const { fake, socketPath, server } = await start()
    expect(server.address).toBe(socketPath)
    if (process.platform !== 'win32') expect((await stat(socketPath)).mode & 0o777).toBe(0o600)
    const client = await connect(socketPath)

    const enqueued = await client.api.enqueue({
      entries: [sampleEntry('a.safetensors'), sampleEntry('b.safetensors')],
    })
    expect(enqueued).toEqual({
      batchId: 'b1',
      queued: ['/models/loras/a.safetensors', '/models/loras/b.safetensors'],
      alreadyQueued: [],
      alreadyComplete: [],
      linked: [],
    })
    const [a, b] = enqueued.queued as [string, string]
    expect(await client.api.pause({ ids: [a] })).toEqual([a])
    expect(await client.api.resume({ ids: [a] })).toEqual([a])
    expect(await client.api.cancel({ ids: [b] })).toEqual([b])
    expect(await client.api.retry({ ids: [b] })).toEqual([b])
    expect(await client.api.move(a, 'bottom')).toBeUndefined()
    expect(await client.api.stopWorker({ force: true })).toBeUndefined()
    expect(await client.api.startWorker()).toBeUndefined()
    const listed = await client.api.list()
    expect(listed).toEqual([...fake.records.values()])
    expect(listed.map((r) => r.status)).toEqual(['queued', 'queued'])
    expect(fake.calls.map((c) => c.method)).toEqual([
      'enqueue',
      'pause',
      'resume',
      'cancel',
      'retry',
      'move',
      'stopWorker',
      'startWorker',
      'list',
    ])
    expect(fake.calls[5]?.args).toEqual([a, 'bottom'])
    expect(fake.calls[6]?.args).toEqual([{ force: true }])
  })

  it('the client has every method of the contract, each reaching the method of that name', async () => {
    // An api that echoes what it was called with: any method added to the contract is covered here.
    const echo = Object.fromEntries(
      SERVICE_METHODS.map((method) => [method, async (...args: unknown[]) => ({ method, args })]),
    ) as unknown as DownloadServiceApi
    const { socketPath } = statePaths(await temp.make('sock-'))
    const server = await serveService(echo, { on: () => () => {} }, socketPath)
    cleanups.push(() => server.close())
    const client = await connect(socketPath)
    for (const method of SERVICE_METHODS) {
      const call = client.api[method] as (...args: unknown[]) => Promise<unknown>
      expect(await call({ ids: ['x'] }, 'top')).toEqual({ method, args: [{ ids: ['x'] }, 'top'] })
    }
  })

  it('a request in flight when the server closes still gets its answer (worker stop ends its own owner)', async () => {
    let finish = (): void => {}
    const slowStop = Object.fromEntries(
      SERVICE_METHODS.map((method) => [method, async () => null]),
    ) as unknown as DownloadServiceApi
    slowStop.stopWorker = () => new Promise<void>((resolve) => (finish = resolve))
    const { socketPath } = statePaths(await temp.make('sock-'))
    const server = await serveService(slowStop, { on: () => () => {} }, socketPath)
    cleanups.push(() => server.close())
    const client = await connect(socketPath)
    const stopping = client.api.stopWorker({ force: false })
    await new Promise((r) => setTimeout(r, 50))
    const closing = server.close()
    setTimeout(() => finish(), 200)
    await expect(stopping).resolves.toBeUndefined()
    await closing
    await expect(connectSocket(socketPath, { timeoutMs: 500 })).rejects.toThrow()
  })

  it('answers concurrent calls each to its own request', async () => {
    const { socketPath } = await start()
    const client = await connect(socketPath)
    const names = Array.from({ length: 20 }, (_, i) => `m${i}`)
    const results = await Promise.all(names.map((n) => client.api.enqueue({ entries: [sampleEntry(n)] })))
    expect(results.map((r) => r.queued)).toEqual(names.map((n) => [`/models/loras/${n}`]))
  })

  it('a coded error keeps its code; any other error arrives as internal with its message', async () => {
    const { socketPath } = await start()
    const client = await connect(socketPath)
    const notFound = await client.api.move('/nope', 'top').catch((err: unknown) => err)
    expect(notFound).toBeInstanceOf(ServiceError)
    expect(notFound).toMatchObject({ code: 'not_found', message: 'No model /nope in the queue' })
    await expect(client.api.cancel({ all: true })).rejects.toMatchObject({ code: 'bad_request' })
    await expect(client.api.status()).rejects.toMatchObject({
      name: 'ServiceError',
      code: 'internal',
      message: 'status is broken in this fake',
    })
    expect(await client.api.list()).toEqual([]) // the connection survives every error
  })

  it('refuses methods outside the contract, and bad lines do not kill the server', async () => {
    const { socketPath } = await start()
    const { socket, lines } = await raw(socketPath)
    const send = (text: string): boolean => socket.write(`${text}\n`)

    send(JSON.stringify({ id: 1, method: 'constructor', params: [] }))
    expect(await lines()).toEqual({
      id: 1,
      error: { code: 'bad_request', message: 'Unknown method "constructor"' },
    })
    send(JSON.stringify({ id: 2, method: '__proto__', params: [] }))
    expect(await lines()).toMatchObject({ id: 2, error: { code: 'bad_request' } })
    send('{"id": 3, "method": "list", "par')
    expect(await lines()).toEqual({
      id: null,
      error: { code: 'bad_request', message: 'Request is not valid JSON' },
    })
    send(JSON.stringify({ id: 4, method: 'list', params: 'not an array' }))
    expect(await lines()).toMatchObject({ id: 4, error: { code: 'bad_request' } })
    send('[]')
    expect(await lines()).toMatchObject({ id: null, error: { code: 'bad_request' } })
    send('')
    send(JSON.stringify({ id: 5, method: 'list', params: [] }))
    expect(await lines()).toEqual({ id: 5, result: [] })

    // The typed client on another connection never noticed.
    const client = await connect(socketPath)
    expect(await client.api.list()).toEqual([])
  })

  it('answers an over-long line and drops that connection only', async () => {
    const { socketPath } = await start()
    const { socket, lines } = await raw(socketPath)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {}) // the server hangs up while we are still writing
    const chunk = Buffer.alloc(1 << 20, 0x61)
    for (let sent = 0; sent <= MAX_REQUEST_LINE_BYTES && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await drainedOrClosed(socket)
    }
    expect(await lines()).toMatchObject({ id: null, error: { code: 'bad_request' } })
    await closed
    const client = await connect(socketPath)
    expect(await client.api.list()).toEqual([])
  })

  it('pushes events to subscribers until they unsubscribe', async () => {
    const { fake, socketPath } = await start()
    const watcher = await connect(socketPath)
    const seen: ServiceEvent[] = []
    const seenToo: ServiceEvent[] = []
    const stop = await watcher.subscribe((e) => seen.push(e))
    const stopToo = await watcher.subscribe((e) => seenToo.push(e))
    expect(fake.listenerCount).toBe(1)

    const progress = fake.progress([
      {
        id: '/m/a',
        phase: 'fetching',
        downloaded: 5,
        totalSize: 10,
        speedBps: 1,
        etaSeconds: 5,
      },
    ])
    const changed = fake.changed({ removed: ['/m/b'], queue: [] })
    await expect.poll(() => seen.length).toBe(2)
    expect(seen).toEqual([progress, changed])
    expect(seenToo).toEqual([progress, changed])

    stop()
    const again = fake.changed()
    await expect.poll(() => seenToo.length).toBe(3)
    expect(seenToo[2]).toEqual(again)
    expect(seen).toHaveLength(2)
    stopToo()
    await expect.poll(() => fake.listenerCount).toBe(0) // the last subscriber left: the server let go too
  })

  it('a client dropping its connection unsubscribes it on the server', async () => {
    const { fake, socketPath } = await start()
    const client = await connect(socketPath)
    await client.subscribe(() => {})
    expect(fake.listenerCount).toBe(1)
    client.close()
    await expect.poll(() => fake.listenerCount).toBe(0)
    await expect(client.api.list()).rejects.toMatchObject({ code: 'unavailable' })
  })

  it('calls the service does not answer within the drain time fail as unavailable when the server closes', async () => {
    const fake = new FakeService()
    const { socketPath } = statePaths(await temp.make('sock-'))
    const server = await serveService(fake, fake.events, socketPath, { drainMs: 100 })
    cleanups.push(() => server.close())
    const client = await connect(socketPath)
    const answer: { finish?: () => void } = {}
    fake.stopWorker = () => new Promise<void>((resolve) => (answer.finish = resolve))
    const pending = client.api.stopWorker({ force: false })
    await expect.poll(() => answer.finish).toBeDefined() // the call reached the service, which has not answered
    const failing = expect(pending).rejects.toMatchObject({ code: 'unavailable' })
    await server.close()
    answer.finish?.()
    await failing
    // The event a ServiceLink follows: the connection says it is over, with why.
    await expect(client.closed).resolves.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('Lost the connection'),
    })
    if (process.platform !== 'win32')
      await expect(lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(connectSocket(socketPath)).rejects.toMatchObject({ code: 'unavailable' })
  })

  it('serves a client in another process', async () => {
    const { fake, socketPath } = await start()
    const child = forkFixture('call-service.ts', [socketPath])
    children.push(child)
    const answer = await nextMessage<{
      pid: number
      enqueued: { queued: string[] }
      listed: Array<{ id: string }>
      notFound: { name: string; code: string; message: string } | null
    }>(child)
    expect(answer.pid).not.toBe(process.pid)
    expect(answer.enqueued.queued).toEqual(['/m/child'])
    expect(answer.listed.map((r) => r.id)).toEqual(['/m/child'])
    expect(answer.notFound).toEqual({
      name: 'ServiceError',
      code: 'not_found',
      message: 'No model /nowhere in the queue',
    })
    expect([...fake.records.keys()]).toEqual(['/m/child'])
  })
})

/** A socket file whose server is gone, as a SIGKILLed owner leaves it (a clean close would unlink it). */
async function leaveDeadSocket(socketPath: string): Promise<void> {
  const listener = `require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))`
  const child = spawn(process.execPath, ['-e', listener, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`listener exited early: ${code}`)))
  })
  child.kill('SIGKILL')
  await exited(child)
}

describe('starting and connecting', () => {
  it('connectService with no owner fails quickly as unavailable, saying no owner is running', async () => {
    const { socketPath } = statePaths(await temp.make('sock-'))
    const startedAt = Date.now()
    const err = await connectSocket(socketPath).catch((e: unknown) => e)
    expect(Date.now() - startedAt).toBeLessThan(1_000)
    expect(err).toBeInstanceOf(ServiceError)
    expect(err).toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/no .*owner is running/i),
    })
  })

  it.skipIf(process.platform === 'win32')(
    'replaces a dead socket file, but not a live one or a plain file',
    async () => {
      const dir = await temp.make('sock-')
      const { socketPath } = statePaths(dir)
      await leaveDeadSocket(socketPath)
      await expect(lstat(socketPath)).resolves.toBeTruthy()
      await expect(connectSocket(socketPath)).rejects.toMatchObject({ code: 'unavailable' })

      const fake = new FakeService()
      const server = await serveService(fake, fake.events, socketPath)
      cleanups.push(() => server.close())
      const client = await connect(socketPath)
      expect(await client.api.list()).toEqual([])

      await expect(serveService(fake, fake.events, socketPath)).rejects.toMatchObject({ code: 'unavailable' })
      expect(await client.api.list()).toEqual([]) // the live one is untouched

      const plain = join(dir, 'plain.sock')
      await writeFile(plain, 'not a socket')
      await expect(serveService(fake, fake.events, plain)).rejects.toThrow(/not a socket/)
    },
  )
})
