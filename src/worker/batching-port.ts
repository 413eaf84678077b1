import type { WorkerEvent, WorkerToHost } from '../shared/worker-protocol'
import type { WorkerPort } from './port'

/** How long progress may wait for other events to share its message. */
export const PROGRESS_DELAY_MS = 20

/**
 * Gathers the worker's events into fewer messages. Each message is a write on the channel and a
 * wake-up of the host; a 1 MiB file used to cost five (four phases and its end), which on two cores
 * was a tenth of the worker's time for many small files.
 *
 * Progress waits up to `delayMs`, and a newer progress of the same job replaces a waiting one (the
 * host shows only the latest). Any other event (done, failed, stopped, log, ready) goes out at once
 * with whatever waited before it, so the order of events is kept and a finished job's slot is
 * refilled without delay.
 */
export function batchingPort(port: WorkerPort, delayMs = PROGRESS_DELAY_MS): WorkerPort {
  let waiting: WorkerEvent[] = []
  // Where each job's waiting progress is in `waiting`, to replace it.
  const progressAt = new Map<string, number>()
  let timer: ReturnType<typeof setTimeout> | null = null

  const flush = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
    progressAt.clear()
    const out = waiting
    waiting = []
    if (out.length === 1) port.send(out[0]!)
    else if (out.length > 1) port.send({ type: 'batch', messages: out })
  }

  const send = (m: WorkerToHost): void => {
    if (m.type === 'batch') {
      for (const e of m.messages) send(e)
      return
    }
    if (m.type !== 'progress') {
      waiting.push(m)
      flush()
      return
    }
    const at = progressAt.get(m.progress.id)
    if (at !== undefined) waiting[at] = m
    else {
      progressAt.set(m.progress.id, waiting.length)
      waiting.push(m)
    }
    if (!timer) {
      timer = setTimeout(flush, delayMs)
      timer.unref?.()
    }
  }

  return { ...port, send }
}
