// A worker forked ahead of time (bin/modeldl.js does so for `modeldl get`) is taken by the next
// WorkerHost for the same entry and environment; a mismatch gets a fresh worker and the early one
// is killed.
import { afterEach, describe, expect, it } from 'vitest'
import { WorkerHost, workerEnv } from '../../src/core/worker-host'
import { preforkWorker, preforkedLauncher } from '../../src/core/worker-prefork'
import { DEFAULT_TUNING } from '../../src/shared/transfer'
import { builtWorkerEntry } from '../support/built'

describe('preforked worker', () => {
  const hosts: WorkerHost[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.shutdown()))
  })
  const host = (env?: Record<string, string>): WorkerHost => {
    const h = new WorkerHost({
      entry: builtWorkerEntry(),
      s3: {},
      tuning: DEFAULT_TUNING,
      launcher: preforkedLauncher,
      ...(env ? { env } : {}),
      graceMs: 3_000,
    })
    hosts.push(h)
    return h
  }

  it('is taken by the host that asks for the same entry and environment, and answers it', async () => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: '/tmp' }
    preforkWorker(builtWorkerEntry(), workerEnv(env))
    // Its 'ready' arrives before anyone listens; the host still sees it.
    await new Promise((r) => setTimeout(r, 500))
    const h = host(env)
    await h.start()
    const first = h.pid
    expect(first).toBeGreaterThan(0)
    // The next host forks its own: the early worker is taken only once.
    const other = host(env)
    await other.start()
    expect(other.pid).not.toBe(first)
  })

  it('is not used for another environment, and is killed', async () => {
    preforkWorker(builtWorkerEntry(), workerEnv({ PATH: '/bin', HOME: '/tmp/a' }))
    const early = (globalThis as Record<symbol, { child: { pid: number } } | undefined>)[
      Symbol.for('modeldl.preforkedWorker')
    ]!.child.pid
    const h = host({ PATH: '/bin', HOME: '/tmp/b' })
    await h.start()
    expect(h.pid).not.toBe(early)
    await new Promise((r) => setTimeout(r, 200))
    expect(() => process.kill(early, 0)).toThrow()
  })
})
