import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEventForwarder } from '../../../src/main/ipc/event-forwarder'
import type { EventChannel, EventContract } from '../../../src/shared/api-contract'
import type { ProgressTick, ServiceChange } from '../../../src/shared/service-contract'
import { modelRecord, progressTick, serviceChange } from '../support/records'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

interface Sent {
  channel: EventChannel
  payload: unknown
}

function recorder() {
  const sent: Sent[] = []
  const send = <C extends EventChannel>(channel: C, payload: EventContract[C]): void => {
    sent.push({ channel, payload })
  }
  return { sent, send }
}

const revisionOf = (s: Sent) => (s.payload as ProgressTick | ServiceChange).revision

describe('event forwarder: every event, at once, in order', () => {
  it('passes each progress tick on as the service made it: the service’s tick is the one rate limit', () => {
    const { sent, send } = recorder()
    const forwarder = createEventForwarder(send)
    const ids = Array.from({ length: 200 }, (_, i) => `/models/m${i}.safetensors`)
    const ticks = Array.from({ length: 30 }, (_, t) =>
      progressTick(
        ids.map((id) => ({ id, downloaded: t })),
        { bytesDone: t },
        { revision: t + 1 },
      ),
    )
    for (const tick of ticks) forwarder.emit('downloads:progress', tick)
    // Nothing held back, merged or copied, and no timer of its own.
    expect(sent.map((s) => s.payload)).toEqual(ticks)
    expect(sent.every((s, i) => s.payload === ticks[i])).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    forwarder.dispose()
  })

  it('keeps the revision order across channels, so a window never sees old bytes after a newer record', () => {
    const { sent, send } = recorder()
    const forwarder = createEventForwarder(send)
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 1 }], {}, { revision: 1 }))
    forwarder.emit(
      'downloads:progress',
      progressTick(
        [
          { id: '/m/a', downloaded: 999 },
          { id: '/m/b', downloaded: 3 },
        ],
        {},
        { revision: 2 },
      ),
    )
    const completed = modelRecord({ id: '/m/a', status: 'completed', downloaded: 1000 })
    forwarder.emit('downloads:changed', serviceChange([completed], { revision: 3 }))
    forwarder.emit('app:focusModel', { id: '/m/a' })
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/b', downloaded: 4 }], {}, { revision: 4 }))
    forwarder.emit('downloads:changed', serviceChange([], { removed: ['/m/b'], revision: 5 }))
    expect(sent.map((s) => s.channel)).toEqual([
      'downloads:progress',
      'downloads:progress',
      'downloads:changed',
      'app:focusModel',
      'downloads:progress',
      'downloads:changed',
    ])
    const revisions = sent.filter((s) => s.channel.startsWith('downloads:')).map(revisionOf)
    expect(revisions).toEqual([1, 2, 3, 4, 5])
    // After the change that completed /m/a, nothing more about its bytes.
    const after = sent.slice(3).filter((s) => s.channel === 'downloads:progress')
    expect(after.flatMap((s) => (s.payload as ProgressTick).models.map((m) => m.id))).toEqual(['/m/b'])
    forwarder.dispose()
  })

  it('sends nothing after dispose', () => {
    const { sent, send } = recorder()
    const forwarder = createEventForwarder(send)
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 1 }]))
    forwarder.dispose()
    forwarder.emit('downloads:progress', progressTick([{ id: '/m/a', downloaded: 2 }], {}, { revision: 2 }))
    forwarder.emit('downloads:changed', serviceChange([], { revision: 3 }))
    expect(sent).toHaveLength(1)
  })
})
