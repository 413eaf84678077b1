import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { BandwidthLimiter } from '../../src/core/transfer/bandwidth-limiter'
import { TransferStopped } from '../../src/core/transfer/errors'
import type { TransferPhase } from '../../src/shared/transfer'
import { sha256File } from '../support/temp'
import { KiB, MiB, leftovers, useHarness, type Harness } from './transfer-harness'

async function stopped(p: Promise<unknown>): Promise<TransferStopped> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TransferStopped)
  return err as TransferStopped
}

describe('runTransfer: cancel, pause, resume, bandwidth', () => {
  let h!: Harness
  let n = 0
  useHarness((started) => (h = started))

  async function object(size: number): Promise<{ uri: string; sha256: string; localPath: string }> {
    const key = `control/m${++n}.safetensors`
    const obj = await h.s3.putRandom(key, size)
    return { uri: `s3://models/${key}`, sha256: obj.sha256, localPath: `${h.dir}/m${n}.safetensors` }
  }

  /** Aborts with `reason` at the first progress event of `phase`, and says how long the stop took. */
  function stopAt(phase: TransferPhase, reason: 'cancelled' | 'paused', afterBytes = 0) {
    const controller = new AbortController()
    let abortedAt = 0
    return {
      signal: controller.signal,
      onProgress: (p: { phase: TransferPhase; bytesDone: number }) => {
        if (!controller.signal.aborted && p.phase === phase && p.bytesDone >= afterBytes) {
          abortedAt = performance.now()
          controller.abort(reason)
        }
      },
      elapsed: () => performance.now() - abortedAt,
    }
  }

  it('cancels during HEAD: nothing is created', async () => {
    const o = await object(64 * KiB)
    h.proxy.setRules([{ match: { method: 'HEAD' }, fault: { kind: 'delay', ms: 3_000 } }])
    const s = stopAt('head', 'cancelled')
    const err = await stopped(h.download({ s3Uri: o.uri, localPath: o.localPath }, s))
    expect(err.reason).toBe('cancelled')
    expect(s.elapsed()).toBeLessThan(500)
    expect(existsSync(o.localPath)).toBe(false)
    expect(leftovers(o.localPath)).toEqual([])
  })

  it('cancels mid-range within a fraction of a second and removes the partial file', async () => {
    const o = await object(8 * MiB)
    const s = stopAt('fetching', 'cancelled', 2 * MiB)
    const err = await stopped(
      h.download({ s3Uri: o.uri, localPath: o.localPath }, { ...s, tuning: { bandwidthLimitBps: 4 * MiB } }),
    )
    expect(err.reason).toBe('cancelled')
    expect(s.elapsed()).toBeLessThan(500)
    expect(existsSync(o.localPath)).toBe(false)
    expect(leftovers(o.localPath)).toEqual([])
  })

  it('cancels during verification', async () => {
    const o = await object(4 * MiB)
    const s = stopAt('verifying', 'cancelled')
    await stopped(h.download({ s3Uri: o.uri, localPath: o.localPath }, s))
    expect(existsSync(o.localPath)).toBe(false)
    expect(leftovers(o.localPath)).toEqual([])
  })

  it('pauses mid-range keeping .part and its sidecar, then resumes fetching only what is missing', async () => {
    const size = 8 * MiB
    const o = await object(size)
    const s = stopAt('fetching', 'paused', 3 * MiB)
    const err = await stopped(
      h.download({ s3Uri: o.uri, localPath: o.localPath }, { ...s, tuning: { bandwidthLimitBps: 8 * MiB } }),
    )
    expect(err.reason).toBe('paused')
    expect(s.elapsed()).toBeLessThan(500)
    expect(existsSync(o.localPath)).toBe(false)
    expect(leftovers(o.localPath)).toHaveLength(2)
    const sidecar = JSON.parse(await readFile(`${o.localPath}.part.json`, 'utf8')) as {
      ranges: [number, number][]
    }
    const kept = sidecar.ranges.reduce((t, [a, b]) => t + b - a, 0)
    expect(kept).toBeGreaterThanOrEqual(3 * MiB - 1 * MiB)

    const firstRun = h.proxy.totalBodyBytes((r) => r.method === 'GET')
    h.proxy.resetLog()
    const result = await h.download({ s3Uri: o.uri, localPath: o.localPath })
    expect(await sha256File(o.localPath)).toBe(o.sha256)
    expect(result.bytesResumed).toBe(kept)
    expect(result.bytesFetched).toBe(size - kept)
    const secondRun = h.proxy.totalBodyBytes((r) => r.method === 'GET')
    expect(secondRun).toBe(size - kept)
    // Bytes that crossed the wire twice: only what was in flight when the pause hit.
    expect(firstRun + secondRun - size).toBeLessThan(2 * MiB)
    expect(leftovers(o.localPath)).toEqual([])
  })

  it('starts over when the object changed since the pause (ETag in the sidecar differs)', async () => {
    const o = await object(4 * MiB)
    const s = stopAt('fetching', 'paused', 1 * MiB)
    await stopped(
      h.download({ s3Uri: o.uri, localPath: o.localPath }, { ...s, tuning: { bandwidthLimitBps: 4 * MiB } }),
    )
    expect(leftovers(o.localPath)).toHaveLength(2)
    // Upload different bytes under the same key: new ETag.
    const key = o.uri.replace('s3://models/', '')
    const changed = await h.s3.putRandom(key, 4 * MiB, 999)
    const result = await h.download({ s3Uri: o.uri, localPath: o.localPath })
    expect(result.bytesResumed).toBe(0)
    expect(await sha256File(o.localPath)).toBe(changed.sha256)
  })

  it('honours a bandwidth limit within 15%', async () => {
    const size = 6 * MiB
    const o = await object(size)
    const rate = 2 * MiB
    const t0 = performance.now()
    await h.download({ s3Uri: o.uri, localPath: o.localPath }, { tuning: { bandwidthLimitBps: rate } })
    const seconds = (performance.now() - t0) / 1000
    expect(seconds).toBeGreaterThan((size / rate) * 0.85)
    expect(seconds).toBeLessThan((size / rate) * 1.15)
  })

  it("moves a slow transfer's progress several times a second, not once per written MiB", async () => {
    const o = await object(2 * MiB)
    const updates: Array<[number, number]> = []
    await h.download(
      { s3Uri: o.uri, localPath: o.localPath },
      {
        // One stream, one range: only the write batching decides how often the bar moves.
        tuning: { bandwidthLimitBps: 512 * KiB, partSize: 64 * MiB, connectionsPerFile: 1 },
        onProgress: (p) => {
          if (p.phase === 'fetching' && p.bytesDone !== updates.at(-1)?.[1])
            updates.push([performance.now(), p.bytesDone])
        },
      },
    )
    // 4 s of transfer: at most ~250 ms between two moves of the bar (one MiB per move would be 2 s).
    expect(updates.length).toBeGreaterThanOrEqual(10)
    const gaps = updates.slice(1).map(([t], i) => t - updates[i]![0])
    expect(Math.max(...gaps)).toBeLessThan(700)
    expect(await sha256File(o.localPath)).toBe(o.sha256)
  })

  it('shares one limit between concurrent transfers and applies a new rate while running', async () => {
    const a = await object(4 * MiB)
    const b = await object(4 * MiB)
    const limiter = new BandwidthLimiter(2 * MiB)
    const t0 = performance.now()
    const both = Promise.all([
      h.download({ s3Uri: a.uri, localPath: a.localPath }, { limiter }),
      h.download({ s3Uri: b.uri, localPath: b.localPath }, { limiter }),
    ])
    // 8 MiB at 2 MiB/s would take 4 s; after 1 s the limit goes to 6 MiB/s: ~1 + 6/6 = 2 s in all.
    setTimeout(() => limiter.setRate(6 * MiB), 1_000)
    await both
    const seconds = (performance.now() - t0) / 1000
    expect(seconds).toBeGreaterThan(1.6)
    expect(seconds).toBeLessThan(2.6)
  })

  it('reports progress a few times per second with speed, ETA and every phase', async () => {
    const o = await object(6 * MiB)
    const events: { phase: string; speed: number; eta: number | null; at: number }[] = []
    await h.download(
      { s3Uri: o.uri, localPath: o.localPath },
      {
        tuning: { bandwidthLimitBps: 4 * MiB },
        onProgress: (p) =>
          events.push({ phase: p.phase, speed: p.speedBps, eta: p.etaSeconds, at: performance.now() }),
      },
    )
    expect([...new Set(events.map((e) => e.phase))]).toEqual(['head', 'fetching', 'verifying', 'finalizing'])
    const fetching = events.filter((e) => e.phase === 'fetching')
    const span = (fetching.at(-1)!.at - fetching[0]!.at) / 1000
    expect(fetching.length / span).toBeLessThan(6)
    const mid = fetching[Math.floor(fetching.length / 2)]!
    expect(mid.speed).toBeGreaterThan(3 * MiB)
    expect(mid.speed).toBeLessThan(5 * MiB)
    expect(mid.eta).not.toBeNull()
  })

  it('saves resume data once 64 MiB are written, without waiting for its second (the disk writes meanwhile)', async () => {
    const size = 72 * MiB
    const o = await object(size)
    // One stream that stops after 70 MiB: within the first second only the 64 MiB rule saves.
    h.proxy.setRules([
      { match: { method: 'GET' }, times: 1, fault: { kind: 'stall-after', bytes: 70 * MiB } },
    ])
    let fetchedAtSave: number | null = null
    let fetched = 0
    const run = h.download(
      { s3Uri: o.uri, localPath: o.localPath },
      {
        tuning: { connectionsPerFile: 1, partSize: 128 * MiB, stallTimeoutMs: 2_000 },
        onProgress: (p) => (fetched = p.bytesDone),
      },
    )
    let kept = 0
    const deadline = performance.now() + 15_000
    while (fetchedAtSave === null && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10))
      const text = await readFile(`${o.localPath}.part.json`, 'utf8').catch(() => null)
      if (text === null) continue
      const ranges = (JSON.parse(text) as { ranges: [number, number][] }).ranges
      kept = ranges.reduce((t, [a, b]) => t + b - a, 0)
      fetchedAtSave = fetched
    }
    const result = await run
    expect(kept).toBeGreaterThanOrEqual(64 * MiB)
    // Seen before the stall's retry fetched the rest.
    expect(fetchedAtSave).toBeLessThan(size)
    expect(result.bytesFetched).toBe(size)
    expect(await sha256File(o.localPath)).toBe(o.sha256)
    expect(leftovers(o.localPath)).toEqual([])
  })
})
