// The local socket seen from a process that does not own the state folder: one connection to the
// owner, carrying DownloadServiceApi calls and its events. ServiceLink (service-link.ts) is what code
// uses to reach the service; this is only the transport it uses when another process is the owner.
import { createConnection, type Socket } from 'node:net'
import { SERVICE_METHODS, type DownloadServiceApi, type ServiceEvent } from '../../../shared/service-contract'
import { isWireEvent, isWireFailure, readReply } from '../../../shared/wire-envelope'
import { LineSplitter } from './line-splitter'
import { ServiceError, isServiceErrorCode } from './service-error'
import { MAX_RESPONSE_LINE_BYTES, SUBSCRIBE, UNSUBSCRIBE, encodeLine, toServiceEvent } from './wire-protocol'

export interface SocketTransport {
  /** The owner's service, called over the socket. */
  readonly api: DownloadServiceApi
  /** Events from the owner to this listener until the returned function is called. */
  subscribe(listener: (event: ServiceEvent) => void): Promise<() => void>
  /**
   * Settles once the connection is over, whoever ended it: the owner went away (its socket closed: the
   * kernel closes it even when the owner is SIGKILLed), it sent something unreadable, or close().
   */
  readonly closed: Promise<ServiceError>
  /** Hangs up; calls still waiting reject with `unavailable`. */
  close(): void
}

export interface ConnectOptions {
  /** How long to wait for the owner to accept the connection (default 5 s). */
  timeoutMs?: number
}

interface Pending {
  resolve(result: unknown): void
  reject(err: ServiceError): void
}

const NOTHING_ANSWERS = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ECONNRESET', 'EPIPE'])

/** Connects to the owner of a state folder; rejects with ServiceError `unavailable` when there is none. */
export async function connectSocket(
  socketPath: string,
  options: ConnectOptions = {},
): Promise<SocketTransport> {
  const socket = await openSocket(socketPath, options.timeoutMs ?? 5_000)
  return new SocketConnection(socket, socketPath)
}

function openSocket(socketPath: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new ServiceError('unavailable', `The service at ${socketPath} did not answer within ${timeoutMs} ms`),
      )
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError)
      resolve(socket)
    })
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer)
      const message =
        err.code !== undefined && NOTHING_ANSWERS.has(err.code)
          ? `No Model Downloader owner is running for this state folder (nothing answers on ${socketPath})`
          : `Cannot connect to the service at ${socketPath}: ${err.message}`
      reject(new ServiceError('unavailable', message, { cause: err }))
    }
    socket.once('error', onError)
  })
}

class SocketConnection implements SocketTransport {
  readonly api: DownloadServiceApi
  readonly closed: Promise<ServiceError>
  private settleClosed: (reason: ServiceError) => void = () => {}
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Set<(event: ServiceEvent) => void>()
  /** The subscribe request in flight or done, shared by every listener of this connection. */
  private subscription: Promise<void> | null = null
  private closedBecause: ServiceError | null = null

  constructor(
    private readonly socket: Socket,
    private readonly socketPath: string,
  ) {
    this.closed = new Promise((resolve) => (this.settleClosed = resolve))
    const splitter = new LineSplitter(
      MAX_RESPONSE_LINE_BYTES,
      (line) => this.onLine(line),
      () =>
        this.shutdown(
          new ServiceError('internal', `The service sent a line over ${MAX_RESPONSE_LINE_BYTES} bytes`),
        ),
    )
    socket.on('data', (chunk: Buffer) => splitter.push(chunk))
    socket.on('error', (err) => this.shutdown(this.lostConnection(err.message)))
    socket.on('close', () => this.shutdown(this.lostConnection('the connection closed')))

    // Every contract method is the same request on the wire: build them from the contract's list, so a
    // method added there is callable here with no code of its own.
    this.api = Object.fromEntries(
      SERVICE_METHODS.map((method) => [method, (...params: unknown[]) => this.request(method, params)]),
    ) as unknown as DownloadServiceApi
  }

  close(): void {
    this.shutdown(new ServiceError('unavailable', 'The client was closed'))
  }

  async subscribe(listener: (event: ServiceEvent) => void): Promise<() => void> {
    this.listeners.add(listener)
    try {
      this.subscription ??= this.request(SUBSCRIBE).then(() => {})
      await this.subscription
    } catch (err) {
      this.listeners.delete(listener)
      this.subscription = null
      throw err
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0 || this.closedBecause) return
      this.subscription = null
      // Nothing waits on it: a failure only means the connection is gone, which stops events too.
      this.request(UNSUBSCRIBE).catch(() => {})
    }
  }

  private request(method: string, params?: unknown[]): Promise<unknown> {
    if (this.closedBecause) return Promise.reject(this.closedBecause)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.write(encodeLine(params ? { id, method, params } : { id, method }))
    })
  }

  private onLine(line: string): void {
    const message = readReply(line)
    if (!message) {
      this.shutdown(
        new ServiceError('internal', `The service at ${this.socketPath} sent an unreadable message`),
      )
      return
    }
    if (isWireEvent(message)) {
      const event = toServiceEvent(message)
      if (event) this.deliver(event)
      return
    }
    if (message.id === null) return // the owner could not read one of our requests: never ours to match
    const pending = this.pending.get(message.id)
    if (!pending) return
    this.pending.delete(message.id)
    if (isWireFailure(message)) {
      const { code, message: text } = message.error
      pending.reject(new ServiceError(isServiceErrorCode(code) ? code : 'internal', text))
    } else {
      pending.resolve(message.result)
    }
  }

  private deliver(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (err) {
        // Surface it as any listener error would, but not from here: the lines after it must still be read.
        process.nextTick(() => {
          throw err
        })
      }
    }
  }

  private lostConnection(why: string): ServiceError {
    return new ServiceError('unavailable', `Lost the connection to the service at ${this.socketPath}: ${why}`)
  }

  private shutdown(reason: ServiceError): void {
    if (this.closedBecause) return
    this.closedBecause = reason
    this.socket.destroy()
    for (const pending of this.pending.values()) pending.reject(reason)
    this.pending.clear()
    this.listeners.clear()
    this.settleClosed(reason)
  }
}
