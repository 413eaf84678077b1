// The service's connection budget reaches the worker: automatic connections adapt within it (a change
// of budget is a new worker for the next jobs, as any tuning change is). A real worker process and
// s3rver; the launcher only records what the worker is sent.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../src/core/service/persist/log'
import { JobRunner } from '../../../src/core/service/job-runner'
import type { ServiceSettings } from '../../../src/core/service/run-settings'
import { forkLauncher, type WorkerLauncher } from '../../../src/core/worker-host'
import type { HostToWorker } from '../../../src/shared/worker-protocol'
import { DEFAULT_TUNING } from '../../../src/shared/transfer'
import { builtWorkerEntry } from '../../support/built'
import { TEST_CREDENTIALS, startS3Server, type TestS3Server } from '../../support/s3-server'
import { sha256File, tempDirs } from '../../support/temp'

const temp = tempDirs()
let s3: TestS3Server

beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3?.close()
  await temp.cleanup()
})

describe('JobRunner', () => {
  it("configures its worker with the service's connection budget, and a new worker when it changes", async () => {
    const obj = await s3.putRandom('budget/a.bin', 3 * 1024 * 1024)
    const dir = await temp.make('budget-')
    const sent: HostToWorker[] = []
    const launcher: WorkerLauncher = (entry, env) => {
      const worker = forkLauncher(entry, env)
      return {
        get pid() {
          return worker.pid
        },
        send: (m) => {
          sent.push(m)
          worker.send(m)
        },
        onMessage: (h) => worker.onMessage(h),
        onExit: (h) => worker.onExit(h),
        kill: () => worker.kill(),
      }
    }
    let settings: ServiceSettings = {
      concurrency: 2,
      maxConnections: 6,
      maxAutoRetries: 0,
      compressedSiblings: false,
      s3: { endpoint: s3.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS },
      tuning: { ...DEFAULT_TUNING, freeSpaceMarginBytes: 0 },
    }
    const runner = new JobRunner({
      entry: builtWorkerEntry(),
      launcher,
      settings: () => settings,
      onProgress: () => {},
      log: createLogger(join(dir, 'log.txt')),
    })
    try {
      const first = join(dir, 'a.bin')
      await runner.run({ id: 'a', s3Uri: `s3://${s3.bucket}/budget/a.bin`, localPath: first })
      expect(await sha256File(first)).toBe(obj.sha256)
      const configured = () => sent.filter((m) => m.type === 'configure')
      expect(configured().map((m) => m.type === 'configure' && m.tuning.connectionBudget)).toEqual([6])

      const previous = settings
      settings = { ...settings, maxConnections: 20 }
      runner.settingsChanged(previous, settings)
      await runner.run({ id: 'b', s3Uri: `s3://${s3.bucket}/budget/a.bin`, localPath: join(dir, 'b.bin') })
      expect(configured().map((m) => m.type === 'configure' && m.tuning.connectionBudget)).toEqual([6, 20])
    } finally {
      await runner.shutdown()
    }
  }, 60_000)
})
