import { describe, expect, it } from 'vitest'
import { SaveSchedule } from '../../src/core/transfer/save-schedule'

const MiB = 1024 * 1024

describe('SaveSchedule', () => {
  it('asks for a save once the interval has passed, however few bytes came', () => {
    const s = new SaveSchedule(1_000, 64 * MiB, 0)
    expect(s.wrote(4096, 999)).toBe(false)
    expect(s.wrote(4096, 1_000)).toBe(true)
    s.began(1_000)
    expect(s.wrote(4096, 1_500)).toBe(false)
    // Timed saves queue behind one still under way: a killed process loses at most ~1 s.
    expect(s.wrote(4096, 2_000)).toBe(true)
  })

  it('asks for a save after writebackBytes, before the interval, when none is under way', () => {
    const s = new SaveSchedule(1_000, 64 * MiB, 0)
    for (let i = 0; i < 63; i++) expect(s.wrote(MiB, 10 + i)).toBe(false)
    expect(s.wrote(MiB, 80)).toBe(true)
    s.began(80)
    // Under way: bytes alone do not queue another datasync behind it.
    expect(s.wrote(64 * MiB, 100)).toBe(false)
    expect(s.wrote(64 * MiB, 200)).toBe(false)
    s.settled()
    expect(s.wrote(MiB, 210)).toBe(true)
  })

  it('counts bytes from the start of the last save, and every queued save must settle', () => {
    const s = new SaveSchedule(1_000, 64 * MiB, 0)
    s.began(0)
    s.began(1_000) // a timed save queued behind the first
    s.settled()
    expect(s.wrote(64 * MiB, 1_010)).toBe(false)
    s.settled()
    expect(s.wrote(0, 1_020)).toBe(true)
    s.began(1_020)
    s.settled()
    expect(s.wrote(32 * MiB, 1_030)).toBe(false)
    // settled() more often than began() does not go below zero
    s.settled()
    expect(s.wrote(32 * MiB, 1_040)).toBe(true)
  })
})
