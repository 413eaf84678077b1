// The worker's events, gathered into fewer channel messages: progress waits a little and the latest
// of a job replaces an older one; anything else goes out at once with what waited, in order.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { WorkerToHost } from '../../src/shared/worker-protocol'
import type { TransferProgress } from '../../src/shared/transfer'
import { batchingPort } from '../../src/worker/batching-port'
import type { WorkerPort } from '../../src/worker/port'

function recordingPort(): WorkerPort & { sent: WorkerToHost[] } {
  const sent: WorkerToHost[] = []
  return { sent, send: (m) => sent.push(m), onMessage: () => undefined, onDisconnect: () => undefined }
}

const progress = (id: string, phase: TransferProgress['phase'], bytesDone = 0): WorkerToHost => ({
  type: 'progress',
  progress: { id, phase, bytesDone, totalBytes: 10, speedBps: 0, etaSeconds: null },
})
const done = (id: string): WorkerToHost => ({
  type: 'done',
  id,
  result: {
    id,
    localPath: `/m/${id}`,
    size: 10,
    etag: '"e"',
    lastModified: '2026-01-01T00:00:00.000Z',
    verified: [],
    bytesFetched: 10,
    bytesResumed: 0,
    durationMs: 1,
  },
})

describe('batchingPort', () => {
  afterEach(() => vi.useRealTimers())

  it('holds progress for the delay, then sends it alone as a plain event', () => {
    vi.useFakeTimers()
    const raw = recordingPort()
    const port = batchingPort(raw, 20)
    port.send(progress('a', 'fetching', 1))
    expect(raw.sent).toEqual([])
    vi.advanceTimersByTime(20)
    expect(raw.sent).toEqual([progress('a', 'fetching', 1)])
  })

  it("keeps only a job's latest waiting progress, in the place of its first", () => {
    vi.useFakeTimers()
    const raw = recordingPort()
    const port = batchingPort(raw, 20)
    port.send(progress('a', 'head'))
    port.send(progress('b', 'head'))
    port.send(progress('a', 'fetching', 5))
    port.send(progress('a', 'verifying', 10))
    vi.advanceTimersByTime(20)
    expect(raw.sent).toEqual([
      { type: 'batch', messages: [progress('a', 'verifying', 10), progress('b', 'head')] },
    ])
  })

  it('sends an end at once, after the progress that waited before it', () => {
    vi.useFakeTimers()
    const raw = recordingPort()
    const port = batchingPort(raw, 20)
    port.send(progress('a', 'finalizing', 10))
    port.send(done('a'))
    expect(raw.sent).toEqual([{ type: 'batch', messages: [progress('a', 'finalizing', 10), done('a')] }])
    // Nothing is left for the timer.
    vi.advanceTimersByTime(100)
    expect(raw.sent).toHaveLength(1)
  })

  it('sends a log or a failure alone when nothing waits, and never merges progress across an end', () => {
    vi.useFakeTimers()
    const raw = recordingPort()
    const port = batchingPort(raw, 20)
    port.send({ type: 'log', level: 'info', message: 'x' })
    port.send(progress('a', 'fetching', 3))
    port.send({ type: 'stopped', id: 'a', reason: 'paused' })
    port.send(progress('a', 'head'))
    vi.advanceTimersByTime(20)
    expect(raw.sent).toEqual([
      { type: 'log', level: 'info', message: 'x' },
      {
        type: 'batch',
        messages: [progress('a', 'fetching', 3), { type: 'stopped', id: 'a', reason: 'paused' }],
      },
      progress('a', 'head'),
    ])
  })
})
