// Writes that cannot be redirected: a folder swapped for a symlink before a transfer starts, or while
// it runs, never makes a file (final, .part or sidecar) appear outside the roots. Real s3rver behind
// the fault proxy, real files, the real transfer.
import { mkdir, readdir, rename, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BandwidthLimiter } from '../../src/core/transfer/bandwidth-limiter'
import { ConfinedFolder } from '../../src/core/transfer/confined-folder'
import { expectFailure, MiB, useHarness, type Harness } from './transfer-harness'

describe('a transfer stays in the folder that was checked', () => {
  let h: Harness
  useHarness((harness) => (h = harness))

  async function layout(name: string): Promise<{ root: string; outside: string; folder: string }> {
    const base = join(h.dir, name)
    const root = join(base, 'models')
    const outside = join(base, 'outside')
    const folder = join(root, 'loras')
    await mkdir(folder, { recursive: true })
    await mkdir(outside)
    return { root, outside, folder }
  }

  it('refuses to start when the folder already leads outside the roots', async () => {
    const { root, outside } = await layout('before')
    await h.s3.putRandom('models/before.safetensors', 1 * MiB)
    await symlink(outside, join(root, 'swapped'))
    const err = await expectFailure(
      h.download({
        s3Uri: 's3://models/models/before.safetensors',
        localPath: join(root, 'swapped', 'before.safetensors'),
        roots: [root],
      }),
      'path_outside_roots',
    )
    expect(err.message).toContain(outside)
    expect(await readdir(outside)).toEqual([])
  })

  it('fails at the rename when a folder is swapped for a symlink mid-download, writing nothing outside', async () => {
    const { root, outside, folder } = await layout('during')
    await h.s3.putRandom('models/during.safetensors', 6 * MiB)
    const localPath = join(folder, 'during.safetensors')
    let swapped: Promise<void> | null = null
    const running = h.download(
      { s3Uri: 's3://models/models/during.safetensors', localPath, roots: [root] },
      {
        // ~3 s at 2 MiB/s: long enough for resume data to be saved after the swap.
        limiter: new BandwidthLimiter(2 * MiB),
        onProgress: (p) => {
          if (swapped || p.bytesDone < 1 * MiB) return
          swapped = (async () => {
            await rename(folder, join(root, 'loras-moved'))
            await symlink(outside, folder)
          })()
        },
      },
    )
    const err = await expectFailure(running, 'path_outside_roots')
    await swapped
    expect(err.message).toMatch(/replaced by a symbolic link/)
    // Not the model, not its .part, not its resume data: nothing at all outside the roots.
    expect(await readdir(outside)).toEqual([])
  })

  it('without roots, holds the folder to where it led when the transfer started', async () => {
    const { outside, folder } = await layout('noroots')
    const held = await ConfinedFolder.enter(folder, undefined)
    await held.recheck()
    await rename(folder, `${folder}-moved`)
    await symlink(outside, folder)
    await expect(held.recheck()).rejects.toMatchObject({ code: 'path_outside_roots' })
  })
})
