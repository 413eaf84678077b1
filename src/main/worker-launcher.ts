import { utilityProcess } from 'electron'
import type { WorkerLauncher } from '../core/worker-host'

export interface UtilityLauncherOptions {
  /** Fatal errors of the utility process itself (V8 OOM and the like): the exit that follows is handled by WorkerHost. */
  onError?: (message: string) => void
}

/**
 * Starts the transfer worker as an Electron utility process: the same entry the CLI forks with
 * child_process, over Electron's parentPort instead of Node's IPC channel (src/worker/port.ts picks
 * whichever it is given). WorkerHost notices an exit it did not ask for, fails the running jobs as
 * `worker_crashed` (retryable) and the service starts a new worker when it retries them.
 */
export function utilityProcessLauncher(options: UtilityLauncherOptions = {}): WorkerLauncher {
  return (entry, env) => {
    const child = utilityProcess.fork(entry, [], {
      env,
      serviceName: 'Model Downloader transfer worker',
      // The worker logs through messages to the host; its own stdout/stderr are for crashes only.
      stdio: 'inherit',
    })
    child.on('error', (type, location) => options.onError?.(`${type} at ${location}`))
    return {
      // Known once the process has spawned; undefined before.
      get pid() {
        return child.pid
      },
      send: (message) => child.postMessage(message),
      onMessage: (handler) => child.on('message', handler),
      // A utility process reports only an exit code; a crash shows as a non-zero code.
      onExit: (handler) => child.on('exit', (code) => handler(code, null)),
      kill: () => void child.kill(),
    }
  }
}
