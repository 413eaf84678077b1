import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ShellStateMonitor, type ShellState } from '../../../src/main/shell/shell-state-monitor'
import type { StatusCounts } from '../../../src/main/shell/tray-menu'
import { batchProgress, progressTick } from '../support/records'

const counts = (progress: number): StatusCounts => ({
  queued: 0,
  progress,
  paused: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
})

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('ShellStateMonitor', () => {
  it('takes the batch from ticks and asks for the status at most once per interval after changes', async () => {
    const status = vi.fn(async () => ({ batch: batchProgress({ completed: 1 }), counts: counts(1) }))
    const states: ShellState[] = []
    const monitor = new ShellStateMonitor(status, (s) => states.push(s), 300)

    monitor.onProgress(progressTick([{ id: '/m/a', downloaded: 5 }], { bytesDone: 5 }))
    expect(states.at(-1)).toEqual({ batch: expect.objectContaining({ bytesDone: 5 }), counts: null })

    for (let i = 0; i < 20; i++) monitor.onChanged()
    await vi.advanceTimersByTimeAsync(299)
    expect(status).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(status).toHaveBeenCalledOnce()
    expect(states.at(-1)).toEqual({ batch: expect.objectContaining({ completed: 1 }), counts: counts(1) })

    // Ticks keep the counts the last status gave.
    monitor.onProgress(progressTick([{ id: '/m/a', downloaded: 9 }], { bytesDone: 9 }))
    expect(states.at(-1)?.counts).toEqual(counts(1))
    monitor.dispose()
  })

  it('survives a service that is away, and reports nothing after dispose', async () => {
    const status = vi.fn<() => Promise<never>>(async () => {
      throw new Error('unavailable')
    })
    const onState = vi.fn()
    const monitor = new ShellStateMonitor(status, onState, 300)
    await monitor.refresh()
    expect(onState).not.toHaveBeenCalled()

    monitor.onChanged()
    monitor.dispose()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(status).toHaveBeenCalledOnce()
  })
})
