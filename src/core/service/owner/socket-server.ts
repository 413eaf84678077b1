// The DownloadService's local-socket door: how `modeldl` commands reach whichever process owns the state
// folder. Only the owner serves; the folder's lock (owner-lock.ts) decides who that is.
import { chmod, lstat, rm } from 'node:fs/promises'
import { createConnection, createServer, type Socket } from 'node:net'
import {
  SERVICE_METHODS,
  type DownloadServiceApi,
  type ServiceErrorShape,
  type ServiceEvent,
} from '../../../shared/service-contract'
import { readRequest, type WireResponse } from '../../../shared/wire-envelope'
import { LineSplitter } from './line-splitter'
import { ServiceError, toServiceErrorShape } from './service-error'
import {
  MAX_REQUEST_LINE_BYTES,
  SUBSCRIBE,
  UNSUBSCRIBE,
  encodeLine,
  serviceEventMessage,
} from './wire-protocol'

/** What the server needs of the service's events: a subscription that can be undone. */
export interface ServiceEventSource {
  on(listener: (event: ServiceEvent) => void): () => void
}

export interface ServiceServer {
  /** The socket path (or pipe name) clients connect to. */
  readonly address: string
  /**
   * Stops accepting, answers the requests already being served (a `worker stop` must hear that it
   * worked even though it is what ends the owner), then hangs up on every connection.
   */
  close(): Promise<void>
}

/**
 * A subscriber that stops reading would make the owner buffer every event for it; past this many bytes
 * unsent it is dropped instead (it can reconnect and list() again).
 */
const MAX_SUBSCRIBER_BACKLOG_BYTES = 32 * 1024 * 1024

/** How long close() waits for requests in flight to be answered and flushed before it cuts them off. */
const CLOSE_DRAIN_MS = 5_000

const callable: ReadonlySet<string> = new Set(SERVICE_METHODS)

type ServiceMethod = (typeof SERVICE_METHODS)[number]

export async function serveService(
  api: DownloadServiceApi,
  events: ServiceEventSource,
  socketPath: string,
  options: { drainMs?: number } = {},
): Promise<ServiceServer> {
  const drainMs = options.drainMs ?? CLOSE_DRAIN_MS
  const isPipe = process.platform === 'win32'
  if (!isPipe) await removeStaleSocket(socketPath)

  const connections = new Set<Socket>()
  const inFlight = new Set<Promise<void>>()
  const subscribers = new Set<Socket>()
  // One subscription to the service for all connections: each event is serialized once, not per client.
  let unsubscribeEvents: (() => void) | null = null

  const broadcast = (event: ServiceEvent): void => {
    const line = encodeLine(serviceEventMessage(event))
    for (const socket of subscribers) {
      if (!socket.writable) continue
      if (socket.writableLength > MAX_SUBSCRIBER_BACKLOG_BYTES) socket.destroy()
      else socket.write(line)
    }
  }
  const subscribe = (socket: Socket): void => {
    subscribers.add(socket)
    unsubscribeEvents ??= events.on(broadcast)
  }
  const unsubscribe = (socket: Socket): void => {
    subscribers.delete(socket)
    if (subscribers.size === 0 && unsubscribeEvents) {
      unsubscribeEvents()
      unsubscribeEvents = null
    }
  }

  const server = createServer((socket) => {
    connections.add(socket)
    const reply = (message: WireResponse): void => {
      if (!socket.destroyed && socket.writable) socket.write(encodeLine(message))
    }
    const splitter = new LineSplitter(
      MAX_REQUEST_LINE_BYTES,
      (line) => {
        const handled = handleLine(line)
        inFlight.add(handled)
        void handled.finally(() => inFlight.delete(handled))
      },
      () => {
        // The rest of the stream has no framing we could trust: answer once and hang up.
        reply({ id: null, error: badRequest(`Request line longer than ${MAX_REQUEST_LINE_BYTES} bytes`) })
        socket.end()
      },
    )

    const handleLine = async (line: string): Promise<void> => {
      if (line.trim() === '') return
      const reading = readRequest(line)
      if (!reading.ok) {
        const message =
          reading.problem === 'not-json'
            ? 'Request is not valid JSON'
            : 'Request must be {id, method, params: []}'
        reply({ id: reading.id, error: badRequest(message) })
        return
      }
      const { id, method, params = [] } = reading.request
      if (method === SUBSCRIBE) {
        subscribe(socket)
        reply({ id, result: null })
        return
      }
      if (method === UNSUBSCRIBE) {
        unsubscribe(socket)
        reply({ id, result: null })
        return
      }
      if (!callable.has(method)) {
        reply({ id, error: badRequest(`Unknown method "${method}"`) })
        return
      }
      try {
        const fn = api[method as ServiceMethod] as (...args: unknown[]) => Promise<unknown>
        const result = await fn.apply(api, params)
        // Serialized here, not in reply(): a result JSON cannot represent must still get an answer.
        const text = encodeLine({ id, result })
        if (!socket.destroyed && socket.writable) socket.write(text)
      } catch (err) {
        reply({ id, error: toServiceErrorShape(err) })
      }
    }

    socket.on('data', (chunk: Buffer) => splitter.push(chunk))
    // A client that vanishes mid-write is its own problem, never the owner's.
    socket.on('error', () => {})
    socket.on('close', () => {
      connections.delete(socket)
      unsubscribe(socket)
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Between listen and chmod the socket has the umask's mode; the state folder (0700) covers that gap.
  if (!isPipe) await chmod(socketPath, 0o600)
  server.on('error', (err) => console.error(`modeldl: service socket ${socketPath}: ${err.message}`))

  const hangUp = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    unsubscribeEvents?.()
    unsubscribeEvents = null
    subscribers.clear()
    await withinMs(Promise.allSettled([...inFlight]), drainMs)
    // end() sends what is buffered, then FIN; a peer that never reads is destroyed after the wait.
    const gone = [...connections].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()).end()),
    )
    await withinMs(Promise.all(gone), drainMs)
    for (const socket of connections) socket.destroy()
    await stopped
  }
  let closed: Promise<void> | null = null
  return { address: socketPath, close: () => (closed ??= hangUp()) }
}

async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

function badRequest(message: string): ServiceErrorShape {
  return { code: 'bad_request', message }
}

/**
 * A socket file left by an owner that was killed would make listen() fail with EADDRINUSE. Remove it,
 * but only if nothing answers on it: a live server there means something else is serving this folder.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stats
  try {
    stats = await lstat(socketPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!stats.isSocket()) {
    throw new ServiceError('internal', `${socketPath} exists and is not a socket: move it away and try again`)
  }
  if (await answers(socketPath)) {
    throw new ServiceError('unavailable', `Another process is already serving on ${socketPath}`)
  }
  await rm(socketPath, { force: true })
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(socketPath)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
}
