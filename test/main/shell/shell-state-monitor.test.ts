import { describe, expect, it, vi } from 'vitest'
import { ShellStateMonitor, type ShellState } from '../../../src/main/shell/shell-state-monitor'
import type { ServiceSnapshot } from '../../../src/shared/service-contract'
import { batchProgress, progressTick, serviceChange, serviceSnapshot, statusCounts } from '../support/records'

const settle = () => new Promise((r) => setTimeout(r, 0))

function started(snapshot: ServiceSnapshot = serviceSnapshot()) {
  const fetch = vi.fn(async () => snapshot)
  const states: ShellState[] = []
  const monitor = new ShellStateMonitor(fetch, (s) => states.push(s))
  return { fetch, states, monitor }
}

describe('ShellStateMonitor', () => {
  it('starts from one snapshot, then takes batch and counts from changes and the batch from ticks', async () => {
    const { fetch, states, monitor } = started(
      serviceSnapshot({
        revision: 4,
        counts: statusCounts({ queued: 2 }),
        batch: batchProgress({ models: 2 }),
      }),
    )
    await monitor.start()
    expect(states.at(-1)).toEqual({
      batch: expect.objectContaining({ models: 2 }),
      counts: statusCounts({ queued: 2 }),
    })

    monitor.push({
      type: 'changed',
      data: serviceChange([], {
        revision: 5,
        counts: statusCounts({ progress: 1, queued: 1 }),
        batch: batchProgress({ models: 2, bytesDone: 0 }),
      }),
    })
    expect(states.at(-1)?.counts).toEqual(statusCounts({ progress: 1, queued: 1 }))

    // Ticks bring the batch and keep the counts the last change gave.
    monitor.push({
      type: 'progress',
      data: progressTick([{ id: '/m/a', downloaded: 9 }], { bytesDone: 9 }, { revision: 6 }),
    })
    expect(states.at(-1)).toEqual({
      batch: expect.objectContaining({ bytesDone: 9 }),
      counts: statusCounts({ progress: 1, queued: 1 }),
    })

    // The batch ends with a change event: the tray cannot stay on an old tick.
    monitor.push({
      type: 'changed',
      data: serviceChange([], {
        revision: 7,
        counts: statusCounts({ cancelled: 2 }),
        batch: batchProgress({ models: 2, cancelled: 2 }),
      }),
    })
    expect(states.at(-1)).toEqual({
      batch: expect.objectContaining({ cancelled: 2, speedBps: 0 }),
      counts: statusCounts({ cancelled: 2 }),
    })
    expect(fetch).toHaveBeenCalledOnce()
    monitor.dispose()
  })

  it('asks for one snapshot when it missed a revision, and none for events it already has', async () => {
    const { fetch, states, monitor } = started(serviceSnapshot({ revision: 2 }))
    await monitor.start()
    monitor.push({ type: 'changed', data: serviceChange([], { revision: 2 }) }) // already in the snapshot
    expect(fetch).toHaveBeenCalledOnce()
    fetch.mockResolvedValue(serviceSnapshot({ revision: 9, counts: statusCounts({ paused: 3 }) }))
    monitor.push({ type: 'changed', data: serviceChange([], { revision: 8 }) })
    monitor.push({ type: 'changed', data: serviceChange([], { revision: 9 }) })
    await settle()
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(states.at(-1)?.counts).toEqual(statusCounts({ paused: 3 }))
    monitor.dispose()
  })

  it('survives a service that is away, and reports nothing after dispose', async () => {
    const fetch = vi.fn<() => Promise<ServiceSnapshot>>(async () => {
      throw new Error('unavailable')
    })
    const onState = vi.fn()
    const monitor = new ShellStateMonitor(fetch, onState)
    await monitor.start()
    expect(onState).not.toHaveBeenCalled()

    monitor.dispose()
    monitor.push({ type: 'changed', data: serviceChange([], { revision: 1 }) })
    await settle()
    expect(fetch).toHaveBeenCalledOnce()
    expect(onState).not.toHaveBeenCalled()
  })
})
