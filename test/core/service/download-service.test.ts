import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it, beforeAll, afterAll, afterEach } from 'vitest'
import type { DownloadService } from '../../../src/core/service/download-service'
import { startS3Server, type TestS3Server } from '../../support/s3-server'
import { makeTempDir, removeTempDir, sha256File } from '../../support/temp'
import { modelPath, openService, waitForRecord } from './service-harness'

const MiB = 1024 * 1024

describe('DownloadService with a real worker and s3rver', () => {
  let s3: TestS3Server
  let root: string
  let stateDir: string
  let service: DownloadService | null = null
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/vae/ae.safetensors', 2 * MiB + 3)
    await s3.putRandom('models/clip/clip_l.safetensors', 3 * MiB)
    await s3.putRandom('models/checkpoints/big.safetensors', 24 * MiB)
  })
  afterAll(async () => {
    await s3?.close()
  })
  afterEach(async () => {
    await service?.close()
    service = null
    await removeTempDir(root)
    await removeTempDir(stateDir)
  })
  const setup = async (overrides = {}): Promise<DownloadService> => {
    root = await makeTempDir('modeldl-models-')
    stateDir = await makeTempDir('modeldl-state-')
    service = await openService(s3, stateDir, root, overrides)
    return service
  }
  const entry = (group: string, name: string, key: string, size: number, extra = {}) => ({
    group,
    modelName: name,
    s3Uri: `s3://models/${key}`,
    localPath: modelPath(root, group, name),
    expectedSize: size,
    ...extra,
  })

  it('counts a link that already stands right as already complete, not "to link"', async () => {
    const svc = await setup()
    const clip = entry('clip', 'clip_l.safetensors', 'models/clip/clip_l.safetensors', 3 * MiB)
    const link = entry('text_encoders', 'clip_l.safetensors', 'models/clip/clip_l.safetensors', 3 * MiB, {
      symLinkedFrom: clip.localPath,
    })
    expect((await svc.enqueue({ entries: [clip, link] })).linked).toEqual([link.localPath])
    for (const e of [clip, link]) await waitForRecord(svc, e.localPath, (r) => r.status === 'completed')
    const again = await svc.enqueue({ entries: [clip, link] })
    expect(again.linked).toEqual([])
    expect(again.alreadyComplete).toEqual([clip.localPath, link.localPath])
    expect(readlinkSync(link.localPath)).toBe('../clip/clip_l.safetensors')
    // A link that points elsewhere is still one to make.
    await writeFile(join(root, 'other.safetensors'), 'x')
    await rm(link.localPath)
    await symlink('../other.safetensors', link.localPath)
    const third = await svc.enqueue({ entries: [clip, link] })
    expect(third.linked).toEqual([link.localPath])
    expect(readlinkSync(link.localPath)).toBe('../clip/clip_l.safetensors')
  })

  it('downloads once, links the others, and makes symLinkedFrom links; progress file in the old schema', async () => {
    const svc = await setup()
    const clip = entry('clip', 'clip_l.safetensors', 'models/clip/clip_l.safetensors', 3 * MiB)
    const sameObject = entry('text_encoders', 'clip_l.safetensors', 'models/clip/clip_l.safetensors', 3 * MiB)
    const symlinked = entry('legacy', 'clip_l.safetensors', 'models/clip/clip_l.safetensors', 3 * MiB, {
      symLinkedFrom: clip.localPath,
    })
    const vae = entry('vae', 'ae.safetensors', 'models/vae/ae.safetensors', 2 * MiB + 3)
    const result = await svc.enqueue({ entries: [clip, sameObject, symlinked, vae] })
    expect(result.queued).toEqual([clip.localPath, vae.localPath])
    expect(result.linked).toEqual([sameObject.localPath, symlinked.localPath])
    for (const e of [clip, sameObject, symlinked, vae]) {
      await waitForRecord(svc, e.localPath, (r) => r.status === 'completed')
    }
    expect(await sha256File(sameObject.localPath)).toBe(await sha256File(clip.localPath))
    expect(readlinkSync(sameObject.localPath)).toBe('../clip/clip_l.safetensors')
    expect(readlinkSync(symlinked.localPath)).toBe('../clip/clip_l.safetensors')
    const status = await svc.status()
    expect(status.batch).toMatchObject({
      models: 4,
      completed: 4,
      bytesDone: 5 * MiB + 3,
      bytesTotal: 5 * MiB + 3,
    })
    await svc.close()
    service = null
    const progress = JSON.parse(readFileSync(status.files.progress, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    expect(Object.keys(progress).sort()).toEqual(['clip', 'legacy', 'text_encoders', 'vae'])
    const p = progress['vae']!['ae.safetensors']!
    // The old schema's fields, plus how a completed file was verified.
    expect(Object.keys(p).sort()).toEqual([
      'downloaded',
      'lastUpdated',
      'localPath',
      'status',
      'totalSize',
      'verifiedBy',
    ])
    expect(p['verifiedBy']).toEqual(['MD5 ETag'])
    expect(p).toMatchObject({
      totalSize: 2 * MiB + 3,
      downloaded: 2 * MiB + 3,
      status: 'completed',
      localPath: vae.localPath,
    })
  })

  it('marks a complete file completed without downloading, and re-fetches a truncated one', async () => {
    const svc = await setup()
    const vae = entry('vae', 'ae.safetensors', 'models/vae/ae.safetensors', 2 * MiB + 3)
    const first = await svc.enqueue({ entries: [vae] })
    await waitForRecord(svc, vae.localPath, (r) => r.status === 'completed')
    expect(first.queued).toHaveLength(1)
    const again = await svc.enqueue({ entries: [vae] })
    expect(again.alreadyComplete).toEqual([vae.localPath])
    await truncate(vae.localPath, MiB)
    const third = await svc.enqueue({ entries: [vae] })
    expect(third.queued).toEqual([vae.localPath])
    const r = await waitForRecord(svc, vae.localPath, (x) => x.status === 'completed')
    expect(r.attempts).toBe(1)
    expect(existsSync(`${vae.localPath}.part`)).toBe(false)
  })

  it('does not queue an entry twice while it is queued or running', async () => {
    const svc = await setup({
      tuning: {
        ...(await import('../../../src/shared/transfer')).DEFAULT_TUNING,
        bandwidthLimitBps: 8 * MiB,
        freeSpaceMarginBytes: 0,
      },
    })
    const big = entry('checkpoints', 'big.safetensors', 'models/checkpoints/big.safetensors', 24 * MiB)
    await svc.enqueue({ entries: [big] })
    const second = await svc.enqueue({ entries: [big] })
    expect(second.alreadyQueued).toEqual([big.localPath])
    await svc.cancel({ path: big.localPath })
  })

  it('cancels a running download: status stays cancelled and no partial file is left', async () => {
    const { DEFAULT_TUNING } = await import('../../../src/shared/transfer')
    const svc = await setup({
      tuning: { ...DEFAULT_TUNING, bandwidthLimitBps: 8 * MiB, freeSpaceMarginBytes: 0 },
    })
    const big = entry('checkpoints', 'big.safetensors', 'models/checkpoints/big.safetensors', 24 * MiB)
    await svc.enqueue({ entries: [big] })
    await waitForRecord(svc, big.localPath, (r) => r.status === 'progress' && r.downloaded > 2 * MiB)
    const t0 = performance.now()
    expect(await svc.cancel({ group: 'checkpoints', modelName: 'big' })).toEqual([big.localPath])
    await svc.waitIdle()
    expect(performance.now() - t0).toBeLessThan(1_000)
    expect(svc.record(big.localPath)!.status).toBe('cancelled')
    expect(existsSync(big.localPath)).toBe(false)
    expect(existsSync(`${big.localPath}.part`)).toBe(false)
    // Nothing later turns it into "completed".
    await new Promise((r) => setTimeout(r, 500))
    expect(svc.record(big.localPath)!.status).toBe('cancelled')
  })

  it('pauses and resumes, keeping the partial file in between; resumes after a restart', async () => {
    const { DEFAULT_TUNING } = await import('../../../src/shared/transfer')
    const slow = { tuning: { ...DEFAULT_TUNING, bandwidthLimitBps: 8 * MiB, freeSpaceMarginBytes: 0 } }
    let svc = await setup(slow)
    const big = entry('checkpoints', 'big.safetensors', 'models/checkpoints/big.safetensors', 24 * MiB)
    await svc.enqueue({ entries: [big] })
    await waitForRecord(svc, big.localPath, (r) => r.status === 'progress' && r.downloaded > 4 * MiB)
    await svc.pause({ path: big.localPath })
    await svc.waitIdle()
    expect(svc.record(big.localPath)!.status).toBe('paused')
    expect(existsSync(`${big.localPath}.part`)).toBe(true)
    await svc.resume({ path: big.localPath })
    await waitForRecord(svc, big.localPath, (r) => r.status === 'progress' && r.downloaded > 12 * MiB)
    // Close as on quit: the running download goes back to the queue with its .part kept.
    await svc.close()
    svc = await (await import('./service-harness')).openService(s3, stateDir, root)
    service = svc
    const r = await waitForRecord(svc, big.localPath, (x) => x.status === 'completed')
    expect(r.attempts).toBe(3)
    const obj = await s3.get('models/checkpoints/big.safetensors')
    expect(readFileSync(big.localPath).equals(obj)).toBe(true)
    // The record names the object it was verified against, and how; a finished transfer has no phase.
    const md5 = createHash('md5').update(obj).digest('hex')
    expect(r.etag).toBe(`"${md5}"`)
    expect(r.verifiedBy).toEqual(['MD5 ETag'])
    expect(Date.parse(r.objectLastModified ?? '')).toBeGreaterThan(0)
    expect(r.phase).toBeUndefined()
  })

  it("sends a model's pending progress before the change that ends its transfer, however short it was", async () => {
    const svc = await setup()
    const vae = entry('vae', 'ae.safetensors', 'models/vae/ae.safetensors', 2 * MiB + 3)
    const seen: string[] = []
    const off = svc.on((e) => {
      if (e.type === 'progress' && e.data.models.some((m) => m.id === vae.localPath)) {
        const m = e.data.models.find((x) => x.id === vae.localPath)!
        seen.push(`progress ${m.downloaded}`)
      }
      if (e.type === 'changed') {
        const r = e.data.records.find((x) => x.id === vae.localPath)
        if (r) seen.push(`changed ${r.status}`)
      }
    })
    await svc.enqueue({ entries: [vae] })
    await waitForRecord(svc, vae.localPath, (r) => r.status === 'completed')
    // No tick still due for it (one would arrive after "completed").
    await new Promise((r) => setTimeout(r, 250))
    off()
    const completedAt = seen.indexOf('changed completed')
    expect(completedAt).toBeGreaterThan(0)
    expect(seen.slice(0, completedAt).some((s) => s.startsWith('progress'))).toBe(true)
    expect(seen.slice(completedAt + 1).filter((s) => s.startsWith('progress'))).toEqual([])
  })

  it('fails with the reason (a permanent error is not retried automatically), and retry() re-queues', async () => {
    const svc = await setup()
    const absent = entry('loras', 'gone.safetensors', 'models/loras/gone.safetensors', 10)
    await svc.enqueue({ entries: [absent] })
    const failed = await waitForRecord(svc, absent.localPath, (r) => r.status === 'failed')
    expect(failed.errorCode).toBe('not_found')
    expect(failed.errorMessage).toContain('s3://models/models/loras/gone.safetensors')
    expect(failed.autoRetries).toBe(0)
    await s3.put('models/loras/gone.safetensors', Buffer.from('0123456789'))
    expect(await svc.retry({ allFailed: true })).toEqual([absent.localPath])
    await waitForRecord(svc, absent.localPath, (r) => r.status === 'completed')
  })

  it('rejects a bad request naming the field, and queues nothing from it', async () => {
    const svc = await setup()
    const good = entry('vae', 'ae.safetensors', 'models/vae/ae.safetensors', 2 * MiB + 3)
    await expect(
      svc.enqueue({ entries: [good, { ...good, localPath: 'relative/x' }] }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/entries\.1\.localPath: must be an absolute path/),
    })
    expect(await svc.list()).toEqual([])
  })

  it('fails a symLinkedFrom entry whose target is neither installed nor queued, saying what to do', async () => {
    const svc = await setup()
    const target = modelPath(root, 'clip', 'nothing.safetensors')
    await mkdir(dirname(target), { recursive: true })
    const link = entry('text_encoders', 'nothing.safetensors', 'models/clip/nothing.safetensors', 5, {
      symLinkedFrom: target,
    })
    await svc.enqueue({ entries: [link] })
    const r = await waitForRecord(svc, link.localPath, (x) => x.status === 'failed')
    expect(r.errorMessage).toMatch(/download it first/)
    await writeFile(target, 'abcde')
    await svc.retry({ path: link.localPath })
  })
})

describe('DownloadService with compressed siblings', () => {
  it('fetches <key>.tar.zst when the store has one and unpacks the model into place', async () => {
    const { execFileSync } = await import('node:child_process')
    const { randomBytes } = await import('node:crypto')
    const s3 = await startS3Server({ bucket: 'models' })
    const root = await makeTempDir('modeldl-models-')
    const stateDir = await makeTempDir('modeldl-state-')
    const build = await makeTempDir('modeldl-archive-')
    const svc = await openService(s3, stateDir, root, { compressedSiblings: true })
    try {
      const model = randomBytes(3 * MiB + 11)
      await writeFile(join(build, 'unet.safetensors'), model)
      execFileSync('sh', [
        '-c',
        `tar -cf - -C "${build}" unet.safetensors | zstd -q -o "${build}/unet.tar.zst"`,
      ])
      // Only the compressed copy is in the bucket: the model can only come from it.
      await s3.put('models/unet/unet.safetensors.tar.zst', readFileSync(join(build, 'unet.tar.zst')))
      const localPath = modelPath(root, 'unet', 'unet.safetensors')
      await svc.enqueue({
        entries: [
          {
            group: 'unet',
            modelName: 'unet.safetensors',
            s3Uri: 's3://models/models/unet/unet.safetensors',
            localPath,
            expectedSize: model.length,
          },
        ],
      })
      await waitForRecord(svc, localPath, (r) => r.status === 'completed')
      expect(readFileSync(localPath).equals(model)).toBe(true)
      expect(existsSync(`${localPath}.tar.zst`)).toBe(false)
      expect(existsSync(`${localPath}.part`)).toBe(false)
    } finally {
      await svc.close()
      await s3.close()
      for (const d of [root, stateDir, build]) await removeTempDir(d)
    }
  })
})
