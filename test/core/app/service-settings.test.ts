import { readFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serviceSettingsFrom } from '../../../src/core/app/service-settings'
import { defaultAppSettings } from '../../../src/core/app/settings-store'
import type { DownloadService } from '../../../src/core/service/download-service'
import { DEFAULT_TUNING } from '../../../src/shared/transfer'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { modelPath, openService, waitForRecord } from '../service/service-harness'

const MiB = 1024 * 1024
const temp = tempDirs()

describe('serviceSettingsFrom', () => {
  it('maps the window settings onto the service, keys only in keys mode, variables filling empty fields', () => {
    const s = defaultAppSettings({}, '/home/u')
    s.concurrency = 10
    s.partSizeMiB = 8
    s.bandwidthLimitBps = 5_000_000
    s.compressedSiblings = true
    const keys = { accessKeyId: 'AKIA1', secretAccessKey: 'secret' }
    const chain = serviceSettingsFrom(s, keys, {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
      AWS_REGION: 'eu-west-1',
    })
    expect(chain).toMatchObject({
      concurrency: 10,
      // 10 downloads × 4 automatic connections: the default budget of 32 would run only 8.
      maxConnections: 40,
      compressedSiblings: true,
      s3: { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', forcePathStyle: true },
      tuning: { partSize: 8 * MiB, bandwidthLimitBps: 5_000_000, connectionsPerFile: 0 },
    })
    expect(chain.s3.accessKeyId).toBeUndefined()
    s.s3.credentials = 'keys'
    s.s3.endpoint = 'http://minio:9000'
    s.s3.profile = 'work'
    const withKeys = serviceSettingsFrom(s, keys, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' })
    expect(withKeys.s3).toMatchObject({ endpoint: 'http://minio:9000', profile: 'work', ...keys })
    // No endpoint: AWS itself, where path style is not forced.
    expect(serviceSettingsFrom(defaultAppSettings({}, '/h'), undefined, {}).s3).toEqual({})
  })
})

describe('DownloadService.applySettings with a real worker and s3rver', () => {
  let s3: TestS3Server
  let service: DownloadService | null = null
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/a.safetensors', 6 * MiB)
    await s3.putRandom('models/b.safetensors', 6 * MiB)
    await s3.putRandom('models/c.safetensors', 2 * MiB)
  })
  afterAll(async () => s3?.close())
  afterEach(async () => {
    await service?.close()
    service = null
    await temp.cleanup()
  })

  const entry = (root: string, name: string, size: number) => ({
    group: 'g',
    modelName: name,
    s3Uri: `s3://models/models/${name}`,
    localPath: modelPath(root, 'g', name),
    expectedSize: size,
  })
  const open = async (overrides: Parameters<typeof openService>[3]) => {
    const root = await temp.make('modeldl-models-')
    service = await openService(s3, await temp.make('modeldl-state-'), root, overrides)
    return { svc: service, root }
  }
  const limited = (bps: number) => ({ ...DEFAULT_TUNING, freeSpaceMarginBytes: 0, bandwidthLimitBps: bps })

  it('starts a waiting download at once when concurrency grows, and lifts the limit of running ones', async () => {
    const { svc, root } = await open({ concurrency: 1, tuning: limited(1 * MiB) })
    const a = entry(root, 'a.safetensors', 6 * MiB)
    const b = entry(root, 'b.safetensors', 6 * MiB)
    await svc.enqueue({ entries: [a, b] })
    await waitForRecord(svc, a.localPath, (r) => r.status === 'progress' && r.downloaded > 0)
    expect(svc.record(b.localPath)?.status).toBe('queued')

    const settings = (await svc.status()).settings
    expect(settings.concurrency).toBe(1)
    const base = { concurrency: 2, maxConnections: 16, maxAutoRetries: 1, compressedSiblings: false }
    const s3Settings = { endpoint: s3.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS }
    svc.applySettings({ ...base, s3: s3Settings, tuning: limited(1 * MiB) })
    await waitForRecord(svc, b.localPath, (r) => r.status === 'progress', 3_000)
    expect(svc.record(a.localPath)?.status).toBe('progress')
    expect((await svc.status()).settings).toMatchObject({ concurrency: 2, bandwidthLimitBps: 1 * MiB })

    // At 1 MiB/s shared the two would need ~10 s more; without a limit they finish at once.
    const lifted = Date.now()
    svc.applySettings({ ...base, s3: s3Settings, tuning: limited(0) })
    await waitForRecord(svc, a.localPath, (r) => r.status === 'completed', 5_000)
    await waitForRecord(svc, b.localPath, (r) => r.status === 'completed', 5_000)
    expect(Date.now() - lifted).toBeLessThan(4_000)
  })

  it('runs the next jobs on a worker with the new S3 settings while running ones finish on the old one', async () => {
    const refused = { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', ...TEST_CREDENTIALS }
    const { svc, root } = await open({ maxAutoRetries: 0, s3: refused })
    const c = entry(root, 'c.safetensors', 2 * MiB)
    await svc.enqueue({ entries: [c] })
    const failed = await waitForRecord(svc, c.localPath, (r) => r.status === 'failed')
    expect(failed.errorCode).toBe('network')

    // A slow download on the worker configured for the store that works…
    const good = { endpoint: s3.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS }
    const base = { concurrency: 2, maxConnections: 16, maxAutoRetries: 0, compressedSiblings: false }
    svc.applySettings({ ...base, s3: good, tuning: limited(1 * MiB) })
    const a = entry(root, 'a.safetensors', 6 * MiB)
    await svc.enqueue({ entries: [a] })
    await waitForRecord(svc, a.localPath, (r) => r.status === 'progress' && r.downloaded > 0)
    const firstWorker = (await svc.status()).worker.pid
    expect(firstWorker).toBeTypeOf('number')

    // …then a tuning change: the retried model runs on a new worker, the slow one keeps its own.
    svc.applySettings({ ...base, s3: good, tuning: { ...limited(1 * MiB), partSize: 8 * MiB } })
    await svc.retry({ path: c.localPath })
    await waitForRecord(svc, c.localPath, (r) => r.status === 'completed')
    const secondWorker = (await svc.status()).worker.pid
    expect(secondWorker).not.toBe(firstWorker)
    expect(svc.record(a.localPath)?.status).toBe('progress')
    expect(alive(firstWorker!)).toBe(true)

    svc.applySettings({ ...base, s3: good, tuning: { ...limited(0), partSize: 8 * MiB } })
    await waitForRecord(svc, a.localPath, (r) => r.status === 'completed', 10_000)
    expect(readFileSync(a.localPath).equals(await s3.get('models/a.safetensors'))).toBe(true)
    // The old worker exits once its last job has ended.
    await expect.poll(() => alive(firstWorker!), { timeout: 5_000 }).toBe(false)
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
