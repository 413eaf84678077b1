// Automatic connections against a far store: the fault proxy caps each GET and delays each request,
// as a long link to S3 does, so only parallel ranges are fast; then throttling and resets.
import { describe, expect, it } from 'vitest'
import { AdaptivePolicy } from '../../src/core/transfer/connection-policy'
import { sha256File } from '../support/temp'
import { KiB, MiB, useHarness, type Harness } from './transfer-harness'

const SIZE = 12 * MiB
/** 2 MB/s per GET: one connection would need 6 s for the object. */
const PER_GET_BPS = 2_000_000
const TUNING = { connectionsPerFile: 0, partSize: 4 * MiB }

function farStore(h: Harness): void {
  h.proxy.setRules([
    { match: { method: 'GET' }, fault: { kind: 'delay', ms: 30 } },
    { match: { method: 'GET' }, fault: { kind: 'throttle', bytesPerSecond: PER_GET_BPS } },
  ])
}

const newPolicy = (): AdaptivePolicy =>
  new AdaptivePolicy({ maxConnections: 8, minPartSize: 256 * KiB, maxPartSize: TUNING.partSize })

/** The most GETs the proxy was serving at once while `run` ran. */
async function peakGets<T>(h: Harness, run: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0
  const timer = setInterval(() => {
    const open = h.proxy.requests.filter((r) => r.method === 'GET' && !r.done).length
    peak = Math.max(peak, open)
  }, 10)
  try {
    return { result: await run, peak }
  } finally {
    clearInterval(timer)
  }
}

describe('adaptive connections through a far-store proxy', () => {
  let h: Harness
  useHarness((started) => (h = started))

  it('starts with one whole-object GET, splits it, and climbs to several connections', async () => {
    const obj = await h.s3.putRandom('far/a.bin', SIZE)
    farStore(h)
    const policy = newPolicy()
    const started = performance.now()
    const { result, peak } = await peakGets(
      h,
      h.download({ s3Uri: 's3://models/far/a.bin' }, { tuning: TUNING, policy }),
    )
    const seconds = (performance.now() - started) / 1000
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const gets = h.proxy.requests.filter((r) => r.method === 'GET')
    // The first GET asked for the whole object (it stood in for the HEAD) and was cut short.
    expect(gets[0]?.range).toBeUndefined()
    expect(gets[0]!.bytesSent).toBeLessThan(SIZE)
    expect(h.proxy.requests.some((r) => r.method === 'HEAD')).toBe(false)
    // Several at once (on a loaded machine one noisy measurement can stop the climb early).
    expect(peak).toBeGreaterThanOrEqual(3)
    expect(policy.target).toBeGreaterThanOrEqual(3)
    // One connection: 6 s.
    expect(seconds).toBeLessThan(4.5)
    // Nothing fetched twice but what the cut left in flight.
    expect(h.proxy.totalBodyBytes((r) => r.method === 'GET')).toBeLessThan(SIZE + 2 * MiB)
  })

  it('halves its connections on 503 SlowDown and still completes', async () => {
    const obj = await h.s3.putRandom('far/b.bin', SIZE)
    farStore(h)
    h.proxy.addRule({
      match: { method: 'GET', hasRange: true },
      times: 3,
      fault: { kind: 'status', status: 503, code: 'SlowDown' },
    })
    const policy = newPolicy()
    const result = await h.download({ s3Uri: 's3://models/far/b.bin' }, { tuning: TUNING, policy })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.filter((r) => r.status === 503)).toHaveLength(3)
    // Each SlowDown halved the budget, and it does not climb again for a long while.
    expect(policy.target).toBe(1)
  })

  it('keeps its connections through a few random resets', async () => {
    const obj = await h.s3.putRandom('far/c.bin', SIZE)
    farStore(h)
    h.proxy.addRule({
      match: { method: 'GET', hasRange: true },
      times: 2,
      fault: { kind: 'reset-after', bytes: 64 * KiB },
    })
    const policy = newPolicy()
    const result = await h.download({ s3Uri: 's3://models/far/c.bin' }, { tuning: TUNING, policy })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    expect(h.proxy.requests.filter((r) => r.faults.includes('reset-after'))).toHaveLength(2)
    expect(policy.target).toBeGreaterThanOrEqual(3)
  })

  it('shares one budget between two files fetched at once', async () => {
    const [a, b] = await Promise.all([h.s3.putRandom('far/d.bin', SIZE), h.s3.putRandom('far/e.bin', SIZE)])
    farStore(h)
    const policy = newPolicy()
    const { result, peak } = await peakGets(
      h,
      Promise.all([
        h.download({ s3Uri: 's3://models/far/d.bin' }, { tuning: TUNING, policy }),
        h.download({ s3Uri: 's3://models/far/e.bin' }, { tuning: TUNING, policy }),
      ]),
    )
    expect(await sha256File(result[0].localPath)).toBe(a.sha256)
    expect(await sha256File(result[1].localPath)).toBe(b.sha256)
    // Two files, one host budget of 8 (one over it at most while a part ends and the next starts).
    expect(peak).toBeGreaterThanOrEqual(3)
    expect(peak).toBeLessThanOrEqual(9)
  })
})
