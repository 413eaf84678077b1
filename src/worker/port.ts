import type { HostToWorker, WorkerToHost } from '../shared/worker-protocol'

/** The worker's side of its channel to the host: one code path for both kinds of process. */
export interface WorkerPort {
  send(message: WorkerToHost): void
  onMessage(handler: (message: HostToWorker) => void): void
  /** Called when the host goes away (its end of the channel closed). */
  onDisconnect(handler: () => void): void
}

interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

/**
 * Electron's utilityProcess gives `process.parentPort`; Node's child_process.fork gives
 * `process.send` and the 'message' event. Nothing else differs.
 */
export function connectToHost(): WorkerPort {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (h) => parentPort.on('message', (e) => h(e.data as HostToWorker)),
      // A utility process is killed with its parent; there is no disconnect event to watch.
      onDisconnect: () => undefined,
    }
  }
  if (typeof process.send !== 'function') {
    throw new Error(
      'The transfer worker must be started by a WorkerHost (fork or utilityProcess), not run directly',
    )
  }
  return {
    send: (m) => {
      if (process.connected) process.send!(m)
    },
    onMessage: (h) => process.on('message', (m) => h(m as HostToWorker)),
    onDisconnect: (h) => process.on('disconnect', h),
  }
}
