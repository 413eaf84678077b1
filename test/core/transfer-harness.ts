// Shared set-up for the engine's integration tests: s3rver behind the fault proxy, a temp folder,
// and runTransfer with an ObjectStore pointed at the proxy.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, expect } from 'vitest'
import { BandwidthLimiter } from '../../src/core/transfer/bandwidth-limiter'
import type { ConnectionPolicy } from '../../src/core/transfer/connection-policy'
import { TransferError } from '../../src/core/transfer/errors'
import { ObjectStore } from '../../src/core/transfer/object-store'
import { runTransfer } from '../../src/core/transfer/transfer'
import {
  DEFAULT_TUNING,
  type TransferJob,
  type TransferProgress,
  type S3Settings,
  type TransferTuning,
} from '../../src/shared/transfer'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

export const KiB = 1024
export const MiB = 1024 * 1024

/** Small parts so that part boundaries, parallel ranges and retries all happen on small objects. */
export const TEST_TUNING: TransferTuning = {
  ...DEFAULT_TUNING,
  partSize: 256 * KiB,
  connectionsPerFile: 3,
  maxAttempts: 4,
  freeSpaceMarginBytes: 0,
  stallTimeoutMs: 1_000,
  connectTimeoutMs: 2_000,
}

export interface Harness {
  s3: TestS3Server
  proxy: FaultProxy
  dir: string
  /** A store pointed at the proxy; `s3` adds to or overrides its settings (endpoint, keys, region). */
  store(tuning?: TransferTuning, s3?: Partial<S3Settings>, env?: Record<string, string>): ObjectStore
  /** Runs one transfer through the proxy; progress events are collected in `events`. */
  download(
    job: Omit<TransferJob, 'id' | 'localPath'> & { localPath?: string; id?: string },
    options?: {
      tuning?: Partial<TransferTuning>
      signal?: AbortSignal
      limiter?: BandwidthLimiter
      onProgress?(p: TransferProgress): void
      /** A store shared by several downloads (default: a new one per download). */
      store?: ObjectStore
      /** Connections and part sizes (default: the tuning's, made per download). */
      policy?: ConnectionPolicy
    },
  ): ReturnType<typeof runTransfer>
  events: TransferProgress[]
  logs: string[]
  close(): Promise<void>
}

export async function startHarness(): Promise<Harness> {
  const s3 = await startS3Server({ bucket: 'models' })
  const proxy = await startFaultProxy(s3.endpoint)
  const dir = await makeTempDir('modeldl-transfer-')
  const stores: ObjectStore[] = []
  const events: TransferProgress[] = []
  const logs: string[] = []
  let n = 0
  const store = (
    tuning: TransferTuning = TEST_TUNING,
    s3: Partial<S3Settings> = {},
    env: Record<string, string> = {},
  ): ObjectStore => {
    const settings = { endpoint: proxy.url, region: 'us-east-1', ...TEST_CREDENTIALS, ...s3 }
    const c = new ObjectStore(settings, tuning, env)
    stores.push(c)
    return c
  }
  return {
    s3,
    proxy,
    dir,
    store,
    events,
    logs,
    download(job, options = {}) {
      const tuning = { ...TEST_TUNING, ...options.tuning }
      const id = job.id ?? `job-${++n}`
      return runTransfer(
        { ...job, id, localPath: job.localPath ?? join(dir, `${id}.safetensors`) },
        {
          store: options.store ?? store(tuning),
          tuning,
          limiter: options.limiter ?? new BandwidthLimiter(tuning.bandwidthLimitBps),
          ...(options.policy ? { policy: options.policy } : {}),
          signal: options.signal ?? new AbortController().signal,
          onProgress: (p) => {
            events.push(p)
            options.onProgress?.(p)
          },
          log: (level, message) => logs.push(`${level}: ${message}`),
        },
      )
    },
    async close() {
      for (const c of stores) c.destroy()
      await proxy.close()
      await s3.close()
      await removeTempDir(dir)
    },
  }
}

/** Neither the final file's temporary `.part` nor its sidecar is left. */
export function leftovers(localPath: string): string[] {
  return [`${localPath}.part`, `${localPath}.part.json`].filter((p) => existsSync(p))
}

/** Awaits a transfer that must fail with `code`, and returns its error for further checks. */
export async function expectFailure(p: Promise<unknown>, code: string): Promise<TransferError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TransferError)
  expect((err as TransferError).code).toBe(code)
  return err as TransferError
}

/**
 * A harness for the enclosing describe: started before its tests (handed to `onStart`), closed after
 * them, its proxy's rules and log cleared before each test.
 */
export function useHarness(onStart: (h: Harness) => void): void {
  let h: Harness | undefined
  beforeAll(async () => {
    h = await startHarness()
    onStart(h)
  })
  afterAll(async () => h?.close())
  beforeEach(() => {
    h?.proxy.clearRules()
    h?.proxy.resetLog()
  })
}
