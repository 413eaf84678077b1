import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readlink, symlink, writeFile } from 'node:fs/promises'
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { sha256File } from '../support/temp'
import { MiB, leftovers, startHarness, type Harness, expectFailure } from './transfer-harness'

/** Mounts a small tmpfs (needs root, as in CI here); null when this machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const probe = `/tmp/modeldl-mount-probe-${process.pid}`
  execFileSync('mkdir', ['-p', probe])
  const ok = mountTmpfs(probe, 'size=1m')
  if (ok) unmount(probe)
  return ok
})()

describe('runTransfer: the local disk', () => {
  let h: Harness
  let sha256: string
  beforeAll(async () => {
    h = await startHarness()
    sha256 = (await h.s3.putRandom('disk/six.safetensors', 6 * MiB)).sha256
  })
  afterAll(async () => h?.close())
  const uri = 's3://models/disk/six.safetensors'

  it.skipIf(!canMount)(
    'disk full mid-download: reports disk_full, keeps .part for a resume (tmpfs; needs root)',
    async () => {
      const mnt = `${h.dir}/small-disk`
      await mkdir(mnt)
      expect(mountTmpfs(mnt, 'size=8m')).toBe(true)
      try {
        const localPath = `${mnt}/model.safetensors`
        let filled = false
        const err = await expectFailure(
          h.download(
            { s3Uri: uri, localPath },
            {
              tuning: { bandwidthLimitBps: 12 * MiB },
              // After preflight passed, something else fills the disk.
              onProgress: (p) => {
                if (!filled && p.phase === 'fetching' && p.bytesDone >= 1 * MiB) {
                  filled = true
                  try {
                    execFileSync('dd', ['if=/dev/zero', `of=${mnt}/filler`, 'bs=1M', 'count=6'], {
                      stdio: 'ignore',
                    })
                  } catch {
                    // dd itself stops at ENOSPC: the disk is full, which is the point.
                  }
                }
              },
            },
          ),
          'disk_full',
        )
        expect(err.message).toMatch(/Disk full/)
        expect(existsSync(localPath)).toBe(false)
        expect(existsSync(`${localPath}.part`)).toBe(true)
      } finally {
        unmount(mnt)
      }
    },
  )

  it.skipIf(!canMount)('refuses before fetching when free space is short (tmpfs; needs root)', async () => {
    const mnt = `${h.dir}/tiny-disk`
    await mkdir(mnt)
    expect(mountTmpfs(mnt, 'size=2m')).toBe(true)
    try {
      h.proxy.resetLog()
      const err = await expectFailure(
        h.download({ s3Uri: uri, localPath: `${mnt}/m.safetensors` }),
        'disk_full',
      )
      expect(err.message).toMatch(/still to fetch/)
      expect(h.proxy.requests.filter((r) => r.method === 'GET')).toHaveLength(0)
    } finally {
      unmount(mnt)
    }
  })

  it.skipIf(!canMount)(
    'names an unwritable folder (read-only mount; root ignores permission bits)',
    async () => {
      const mnt = `${h.dir}/ro`
      await mkdir(mnt)
      expect(mountTmpfs(mnt, 'size=1m,ro')).toBe(true)
      try {
        const err = await expectFailure(
          h.download({ s3Uri: uri, localPath: `${mnt}/sub/m.safetensors` }),
          'not_writable',
        )
        expect(err.message).toContain(mnt)
      } finally {
        unmount(mnt)
      }
    },
  )

  it('refuses a local path that is a folder', async () => {
    const localPath = `${h.dir}/is-a-dir.safetensors`
    await mkdir(localPath)
    const err = await expectFailure(h.download({ s3Uri: uri, localPath }), 'path_is_directory')
    expect(err.message).toContain(localPath)
  })

  it('refuses a local path that is a symbolic link, and leaves its target alone', async () => {
    const target = `${h.dir}/precious.txt`
    await writeFile(target, 'keep me')
    const localPath = `${h.dir}/link.safetensors`
    await symlink(target, localPath)
    await expectFailure(h.download({ s3Uri: uri, localPath }), 'path_is_symlink')
    expect(readFileSync(target, 'utf8')).toBe('keep me')
    expect(await readlink(localPath)).toBe(target)
  })

  it('never writes through a link planted at <final>.part', async () => {
    const target = `${h.dir}/victim.txt`
    await writeFile(target, 'untouched')
    const localPath = `${h.dir}/planted.safetensors`
    await symlink(target, `${localPath}.part`)
    const result = await h.download({ s3Uri: uri, localPath })
    expect(readFileSync(target, 'utf8')).toBe('untouched')
    expect(await sha256File(result.localPath)).toBe(sha256)
    expect(leftovers(localPath)).toEqual([])
  })

  it('rejects a relative local path', async () => {
    await expectFailure(h.download({ s3Uri: uri, localPath: 'relative/model.safetensors' }), 'invalid_job')
  })

  it('rejects a malformed S3 URI with a message that quotes it', async () => {
    const err = await expectFailure(h.download({ s3Uri: 'https://example.com/x' }), 'invalid_job')
    expect(err.message).toContain('https://example.com/x')
  })
})
