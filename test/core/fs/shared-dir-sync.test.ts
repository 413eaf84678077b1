// Folder syncs shared between renames that finish together (a group commit): callers join a sync
// that has not started; one under way is never joined, since it may have missed their rename.
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { syncDirShared } from '../../../src/core/fs/shared-dir-sync'

describe('syncDirShared', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dirsync-'))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('gives callers of the same moment one sync', async () => {
    const calls = Array.from({ length: 8 }, () => syncDirShared(dir))
    expect(new Set(calls).size).toBe(1)
    await Promise.all(calls)
  })

  it('starts a new sync, after the running one, for a caller that comes once it started', async () => {
    const order: string[] = []
    const first = syncDirShared(dir)
    // Let the first sync start (its open is under way on the thread pool), then rename and ask.
    await new Promise((r) => setImmediate(r))
    await writeFile(join(dir, 'a.part'), 'x')
    await rename(join(dir, 'a.part'), join(dir, 'a'))
    const second = syncDirShared(dir)
    const third = syncDirShared(dir)
    expect(second).not.toBe(first)
    expect(second).toBe(third)
    await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))])
    expect(order).toEqual(['first', 'second'])
  })

  it('keeps folders apart', () => {
    const other = join(dir, 'sub')
    const a = syncDirShared(dir)
    const b = syncDirShared(other)
    expect(a).not.toBe(b)
    return Promise.all([a, expect(b).rejects.toMatchObject({ code: 'ENOENT' })])
  })

  it('rejects every caller of a sync that fails, and the next call tries again', async () => {
    const missing = join(dir, 'not-yet')
    const calls = [syncDirShared(missing), syncDirShared(missing)]
    for (const c of calls) await expect(c).rejects.toMatchObject({ code: 'ENOENT' })
    const { mkdir } = await import('node:fs/promises')
    await mkdir(missing)
    await expect(syncDirShared(missing)).resolves.toBeUndefined()
  })
})
