// The service applies the gate itself, whoever asks and whatever it reads: the real DownloadService,
// its real worker process and s3rver. A folder swapped for a symlink mid-download, a state file that
// names a path outside the roots, and a link whose folder leads outside all end without a byte there.
import { mkdir, readdir, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DownloadService } from '../../../src/core/service/download-service'
import { statePaths } from '../../../src/core/service/state-paths'
import { DEFAULT_TUNING } from '../../../src/shared/transfer'
import { startS3Server, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { makeRecord } from './persist/records'
import { openService, waitForRecord } from './service-harness'

const MiB = 1024 * 1024
const temp = tempDirs()

describe('the service keeps every write inside the models roots', () => {
  let s3: TestS3Server
  let work: string
  let root: string
  let outside: string
  let svc: DownloadService | null = null

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/loras/slow.safetensors', 8 * MiB)
    await s3.putRandom('models/loras/small.safetensors', 1 * MiB)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await temp.make('modeldl-svc-gate-')
    root = join(work, 'models')
    outside = join(work, 'outside')
    await mkdir(join(root, 'loras'), { recursive: true })
    await mkdir(outside)
  })
  afterEach(async () => {
    await svc?.close()
    svc = null
    await temp.cleanup()
  })

  const entry = (name: string, size: number, extra: Record<string, string> = {}) => ({
    group: 'loras',
    modelName: name,
    s3Uri: `s3://models/models/loras/${name}`,
    localPath: join(root, 'loras', name),
    expectedSize: size,
    ...extra,
  })

  it('fails a download whose folder is swapped for a symlink while it runs; nothing lands outside', async () => {
    svc = await openService(s3, join(work, 'state'), root, {
      tuning: { ...DEFAULT_TUNING, bandwidthLimitBps: 3 * MiB, freeSpaceMarginBytes: 0 },
    })
    const slow = entry('slow.safetensors', 8 * MiB)
    await svc.enqueue({ entries: [slow] })
    await waitForRecord(svc, slow.localPath, (r) => r.downloaded > 1 * MiB)
    await rename(join(root, 'loras'), join(root, 'loras-moved'))
    await symlink(outside, join(root, 'loras'))
    const failed = await waitForRecord(svc, slow.localPath, (r) => r.status === 'failed')
    expect(failed.errorCode).toBe('path_outside_roots')
    expect(failed.errorMessage).toContain('replaced by a symbolic link')
    expect(await readdir(outside)).toEqual([])
  })

  it('does not start a queued record whose path is outside the roots (an edited state file)', async () => {
    const stateDir = join(work, 'state')
    await mkdir(stateDir)
    const planted = makeRecord({
      localPath: join(outside, 'planted.safetensors'),
      s3Uri: 's3://models/models/loras/small.safetensors',
      expectedSize: 1 * MiB,
    })
    await writeFile(
      statePaths(stateDir, {}).stateFile,
      JSON.stringify({ version: 1, queue: [planted.id], records: [planted] }),
    )
    svc = await openService(s3, stateDir, root)
    const failed = await waitForRecord(svc, planted.id, (r) => r.status === 'failed')
    expect(failed.errorCode).toBe('path_outside_roots')
    expect(failed.errorMessage).toContain('outside the models roots')
    expect(await readdir(outside)).toEqual([])
  })

  it('makes no link whose folder was swapped to lead outside after it was queued', async () => {
    svc = await openService(s3, join(work, 'state'), root, {
      tuning: { ...DEFAULT_TUNING, bandwidthLimitBps: 1 * MiB, freeSpaceMarginBytes: 0 },
    })
    await mkdir(join(root, 'clip'))
    const target = entry('small.safetensors', 1 * MiB)
    const link = { ...target, group: 'clip', localPath: join(root, 'clip', 'small.safetensors') }
    await svc.enqueue({ entries: [target, { ...link, symLinkedFrom: target.localPath }] })
    // Queued and waiting for its target; now its folder leads outside.
    await rename(join(root, 'clip'), join(root, 'clip-moved'))
    await symlink(outside, join(root, 'clip'))
    await waitForRecord(svc, target.localPath, (r) => r.status === 'completed')
    const failed = await waitForRecord(svc, link.localPath, (r) => r.status === 'failed')
    expect(failed.errorCode).toBe('link_failed')
    expect(await readdir(outside)).toEqual([])
  })
})
