import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEventForwarder } from '../../../src/main/ipc/event-forwarder'
import { ProgressThrottle } from '../../../src/main/ipc/progress-throttle'
import type { EventChannel, EventContract } from '../../../src/shared/api-contract'
import type { ProgressTick } from '../../../src/shared/service-contract'
import { modelRecord, progressTick } from '../support/records'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

interface Sent {
  at: number
  channel: EventChannel
  payload: unknown
}

function recorder() {
  const sent: Sent[] = []
  const send = <C extends EventChannel>(channel: C, payload: EventContract[C]): void => {
    sent.push({ at: Date.now(), channel, payload })
  }
  return { sent, send, progress: () => sent.filter((s) => s.channel === 'downloads:progress') }
}

/** No 11 consecutive messages within one second: at most 10 in any sliding second. */
function maxPerSecond(times: number[]): number {
  let max = 0
  for (let i = 0; i < times.length; i++) {
    const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length
    max = Math.max(max, inWindow)
  }
  return max
}

describe('event forwarder: progress at a bounded rate', () => {
  it.each([1, 10, 200])(
    'sends at most 10 progress messages per second with %i jobs ticking every 10 ms',
    async (jobs) => {
      const { send, progress } = recorder()
      const forwarder = createEventForwarder(send)
      const ids = Array.from({ length: jobs }, (_, i) => `/models/m${i}.safetensors`)
      let bytes = 0
      const started = Date.now()
      while (Date.now() - started < 3_000) {
        bytes += 1
        // Every job reports on its own, as a socket client's backlog would arrive.
        for (const id of ids) forwarder.emit('downloads:progress', progressTick([{ id, downloaded: bytes }]))
        await vi.advanceTimersByTimeAsync(10)
      }
      await vi.advanceTimersByTimeAsync(200)
      const times = progress().map((s) => s.at)
      expect(maxPerSecond(times)).toBeLessThanOrEqual(10)
      // ...and it does not starve either: about one per 100 ms over the 3 s.
      expect(times.length).toBeGreaterThanOrEqual(29)
      expect(times.length).toBeLessThanOrEqual(31)
      // The last message carries every job's latest figures.
      const last = progress().at(-1)!.payload as ProgressTick
      expect(last.models).toHaveLength(jobs)
      expect(new Set(last.models.map((m) => m.downloaded))).toEqual(new Set([bytes]))
      forwarder.dispose()
    },
  )

  it('coalesces within a window: the latest figures of each model and the latest batch win', async () => {
    const { send, progress } = recorder()
    const forwarder = createEventForwarder(send)
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 1 }], { bytesDone: 1 }))
    expect(progress()).toHaveLength(1) // the first one goes at once: nothing to wait for

    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 5 }], { bytesDone: 5 }))
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/b', downloaded: 7 }], { bytesDone: 12 }))
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 9 }], { bytesDone: 16 }))
    await vi.advanceTimersByTimeAsync(99)
    expect(progress()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(progress()).toHaveLength(2)
    const tick = progress()[1]!.payload as ProgressTick
    expect(tick.models.map((m) => [m.id, m.downloaded])).toEqual([
      ['/m/a', 9],
      ['/m/b', 7],
    ])
    expect(tick.batch.bytesDone).toBe(16)

    // Quiet afterwards: nothing is sent without new figures.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(progress()).toHaveLength(2)
    forwarder.dispose()
  })

  it('passes other events on at once and in order, and drops progress a change event has superseded', async () => {
    const { send, sent } = recorder()
    const forwarder = createEventForwarder(send)
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 1 }]))
    forwarder.emit(
      'downloads:progress',
      progressTick([
        { id: '/m/a', downloaded: 999 },
        { id: '/m/b', downloaded: 3 },
      ]),
    )
    const completed = modelRecord({ id: '/m/a', status: 'completed', downloaded: 1000 })
    forwarder.emit('downloads:changed', { records: [completed], removed: [] })
    forwarder.emit('app:focusModel', { id: '/m/a' })
    expect(sent.map((s) => s.channel)).toEqual(['downloads:progress', 'downloads:changed', 'app:focusModel'])

    await vi.advanceTimersByTimeAsync(100)
    // /m/a's older "progress" figures must not arrive after its "completed" record.
    const late = sent.at(-1)!
    expect(late.channel).toBe('downloads:progress')
    expect((late.payload as ProgressTick).models.map((m) => m.id)).toEqual(['/m/b'])

    // A removed model's pending figures go too.
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/b', downloaded: 4 }]))
    forwarder.emit('downloads:changed', { records: [], removed: ['/m/b'] })
    await vi.advanceTimersByTimeAsync(100)
    expect((sent.at(-1)!.payload as ProgressTick).models).toEqual([])
    forwarder.dispose()
  })

  it('sends nothing after dispose', async () => {
    const { send, progress } = recorder()
    const forwarder = createEventForwarder(send)
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 1 }]))
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 2 }]))
    forwarder.dispose()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(progress()).toHaveLength(1)
  })
})

describe('ProgressThrottle with its own clock', () => {
  it('waits only for what is left of the interval since the last message', async () => {
    let now = 0
    const sent: ProgressTick[] = []
    const throttle = new ProgressThrottle(
      (t) => sent.push(t),
      100,
      () => now,
    )
    throttle.push(progressTick([{ id: '/m/a', downloaded: 1 }]))
    expect(sent).toHaveLength(1)
    now = 250 // long after: goes at once
    throttle.push(progressTick([{ id: '/m/a', downloaded: 2 }]))
    expect(sent).toHaveLength(2)
    now = 280 // 30 ms after the last: waits 70
    throttle.push(progressTick([{ id: '/m/a', downloaded: 3 }]))
    await vi.advanceTimersByTimeAsync(69)
    expect(sent).toHaveLength(2)
    now = 350
    await vi.advanceTimersByTimeAsync(1)
    expect(sent).toHaveLength(3)
    throttle.dispose()
  })
})
