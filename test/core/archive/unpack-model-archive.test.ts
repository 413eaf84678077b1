import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readFile, readlink, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  unpackModelArchive,
  type UnpackOptions,
} from '../../../src/core/transfer/archive/unpack-model-archive'
import { TransferError, TransferStopped } from '../../../src/core/transfer/errors'
import { fileExists, makeTempDir, removeTempDir, sha256File } from '../../support/temp'
import { MiB, hasZstd, makeTarZst, rawTar, skippableFrame, zstd } from './fixtures'

const MEMBER = 'model.safetensors'

async function failure<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(type)
  return err as E
}

async function transferError(p: Promise<unknown>, code: string): Promise<TransferError> {
  const err = await failure(p, TransferError)
  expect(err.code).toBe(code)
  return err
}

/** Nothing at the final path and no `.part` (not even a dangling link). */
async function expectNothingLeft(localPath: string): Promise<void> {
  await expect(lstat(localPath)).rejects.toMatchObject({ code: 'ENOENT' })
  await expect(lstat(`${localPath}.part`)).rejects.toMatchObject({ code: 'ENOENT' })
}

// The fixtures are made by the zstd binary: without it (apt-get install zstd) these show as skipped.
describe.skipIf(!hasZstd)('unpackModelArchive (fixtures by tar and zstd; skipped if no zstd binary)', () => {
  let dir: string
  let model: Buffer
  let modelSha: string
  let topLevel: string
  let nested: string
  let n = 0
  // A fresh destination per test, in a folder that does not exist yet (unpack makes it).
  const dest = (): string => join(dir, `out-${++n}`, MEMBER)
  const options = (o: Partial<UnpackOptions> & Pick<UnpackOptions, 'archivePath'>): UnpackOptions => ({
    memberName: MEMBER,
    localPath: dest(),
    expectedSize: model.length,
    signal: new AbortController().signal,
    ...o,
  })

  beforeAll(async () => {
    dir = await makeTempDir('modeldl-unpack-')
    model = randomBytes(3 * MiB)
    modelSha = createHash('sha256').update(model).digest('hex')
    topLevel = await makeTarZst(dir, { [MEMBER]: model })
    nested = await makeTarZst(dir, {
      'README.txt': Buffer.from('how this archive was made\n'),
      [`checkpoints/sd15/${MEMBER}`]: model,
      'checkpoints/sd15/config.json': Buffer.from('{}'),
    })
  })
  afterAll(async () => removeTempDir(dir))

  it('extracts a top-level member: same bytes, its sha256 returned, progress reported, no .part', async () => {
    const seen: number[] = []
    const o = options({ archivePath: topLevel, onProgress: (b) => seen.push(b) })
    const result = await unpackModelArchive(o)
    expect(result).toEqual({ size: model.length, sha256: modelSha })
    expect(await sha256File(o.localPath)).toBe(modelSha)
    expect((await lstat(o.localPath)).isFile()).toBe(true)
    expect(await fileExists(`${o.localPath}.part`)).toBe(false)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.at(-1)).toBe(model.length)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
  })

  it('finds the member inside a folder among other entries, and verifies the sha256 given', async () => {
    const o = options({ archivePath: nested, sha256: modelSha.toUpperCase() })
    expect(await unpackModelArchive(o)).toEqual({ size: model.length, sha256: modelSha })
    expect((await readFile(o.localPath)).equals(model)).toBe(true)
  })

  it('a wrong sha256: checksum_mismatch, the file already at the final path untouched, no .part', async () => {
    const o = options({ archivePath: topLevel, sha256: 'ab'.repeat(32) })
    const err = await transferError(unpackModelArchive(o), 'checksum_mismatch')
    expect(err.message).toContain(modelSha)
    await expect(lstat(o.localPath)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await fileExists(`${o.localPath}.part`)).toBe(false)

    // An older copy at the final path stays as it was.
    await writeFile(o.localPath, 'old model')
    await transferError(unpackModelArchive(o), 'checksum_mismatch')
    expect(await readFile(o.localPath, 'utf8')).toBe('old model')
  })

  it('a size that differs from the config: size_mismatch naming the archive, the member and both sizes', async () => {
    const o = options({ archivePath: nested, expectedSize: model.length + 1 })
    const err = await transferError(unpackModelArchive(o), 'size_mismatch')
    expect(err.message).toContain(nested)
    expect(err.message).toContain(`checkpoints/sd15/${MEMBER}`)
    expect(err.message).toContain(String(model.length))
    expect(err.message).toContain(String(model.length + 1))
    await expectNothingLeft(o.localPath)
  })

  it('a member the archive does not hold: invalid_job naming the archive and what it holds', async () => {
    const o = options({ archivePath: nested, memberName: 'other.safetensors' })
    const err = await transferError(unpackModelArchive(o), 'invalid_job')
    expect(err.message).toContain(nested)
    expect(err.message).toContain('other.safetensors')
    expect(err.message).toContain('README.txt')
    await expectNothingLeft(o.localPath)
  })

  it('a member found twice, or not a regular file: invalid_job', async () => {
    const small = Buffer.from('weights')
    const twice = await makeTarZst(dir, { [`a/${MEMBER}`]: small, [`b/${MEMBER}`]: small })
    const o1 = options({ archivePath: twice, expectedSize: small.length })
    expect((await transferError(unpackModelArchive(o1), 'invalid_job')).message).toContain('more than once')
    await expectNothingLeft(o1.localPath)

    const link = await makeTarZst(dir, { 'real.bin': small, [MEMBER]: { link: 'real.bin' } })
    const o2 = options({ archivePath: link, expectedSize: small.length })
    expect((await transferError(unpackModelArchive(o2), 'invalid_job')).message).toContain('symlink')
    await expectNothingLeft(o2.localPath)

    const folder = await makeTarZst(dir, { [MEMBER]: { dir: true } })
    const o3 = options({ archivePath: folder, expectedSize: 0 })
    expect((await transferError(unpackModelArchive(o3), 'invalid_job')).message).toContain('directory')
    await expectNothingLeft(o3.localPath)
  })

  it('entries with absolute names or ".." are refused, whichever entry carries them', async () => {
    for (const bad of ['../escape.bin', 'sub/../../escape.bin', '/etc/escape.bin']) {
      const tar = await rawTar([
        { name: MEMBER, data: Buffer.from('weights') },
        { name: bad, data: Buffer.from('x') },
      ])
      const archivePath = join(dir, `unsafe-${++n}.tar.zst`)
      await writeFile(archivePath, zstd(tar))
      const o = options({ archivePath, expectedSize: 7 })
      const err = await transferError(unpackModelArchive(o), 'invalid_job')
      expect(err.message).toContain(bad)
      await expectNothingLeft(o.localPath)
    }
  })

  it('a truncated archive: invalid_job naming it, no file and no .part', async () => {
    const archivePath = join(dir, 'truncated.tar.zst')
    await writeFile(archivePath, await readFile(topLevel))
    await truncate(archivePath, Math.floor((await stat(topLevel)).size / 2))
    const o = options({ archivePath })
    const err = await transferError(unpackModelArchive(o), 'invalid_job')
    expect(err.message).toContain(archivePath)
    await expectNothingLeft(o.localPath)
  })

  it('a file that is not zstd, or a .tar.zst whose tar is damaged: invalid_job', async () => {
    const notZstd = join(dir, 'plain.tar.zst')
    await writeFile(notZstd, await rawTar([{ name: MEMBER, data: Buffer.from('weights') }]))
    const o1 = options({ archivePath: notZstd, expectedSize: 7 })
    expect((await transferError(unpackModelArchive(o1), 'invalid_job')).message).toContain(notZstd)
    await expectNothingLeft(o1.localPath)

    const tar = await rawTar([{ name: MEMBER, data: Buffer.from('weights') }])
    tar.write('garbage!', 148) // the header checksum field
    const damaged = join(dir, 'damaged-tar.tar.zst')
    await writeFile(damaged, zstd(tar))
    const o2 = options({ archivePath: damaged, expectedSize: 7 })
    await transferError(unpackModelArchive(o2), 'invalid_job')
    await expectNothingLeft(o2.localPath)
  })

  it('an archive of several zstd frames with a skippable frame between them unpacks the same', async () => {
    const tar = await rawTar([
      { name: 'notes.txt', data: Buffer.from('notes') },
      { name: `sub/${MEMBER}`, data: model },
    ])
    const cut = 1_000_003
    const archivePath = join(dir, 'frames.tar.zst')
    await writeFile(
      archivePath,
      Buffer.concat([
        zstd(tar.subarray(0, cut)),
        skippableFrame(Buffer.from('metadata')),
        zstd(tar.subarray(cut), ['--no-check']),
      ]),
    )
    const o = options({ archivePath, sha256: modelSha })
    expect(await unpackModelArchive(o)).toEqual({ size: model.length, sha256: modelSha })
  })

  it('a frame asking for a window beyond 128 MiB is refused before anything is allocated', async () => {
    // Frame header: magic, descriptor (no single segment, no checksum), window descriptor 2^28.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 18 << 3])
    const archivePath = join(dir, 'long-window.tar.zst')
    await writeFile(archivePath, Buffer.concat([header, Buffer.alloc(64)]))
    const o = options({ archivePath })
    const err = await transferError(unpackModelArchive(o), 'invalid_job')
    expect(err.message).toMatch(/--long/)
    await expectNothingLeft(o.localPath)
  })

  it.each(['cancelled', 'paused'] as const)(
    'stopped mid-way (%s, from onProgress): TransferStopped with that reason, no .part',
    async (reason) => {
      const stop = new AbortController()
      let calls = 0
      const o = options({
        archivePath: topLevel,
        signal: stop.signal,
        onProgress: (bytes) => {
          calls++
          expect(bytes).toBeLessThan(model.length)
          stop.abort(reason)
        },
      })
      const err = await failure(unpackModelArchive(o), TransferStopped)
      expect(err.reason).toBe(reason)
      expect(calls).toBe(1)
      await expectNothingLeft(o.localPath)
    },
  )

  it('a signal already aborted: TransferStopped before any file is made', async () => {
    const stop = new AbortController()
    stop.abort('cancelled')
    const o = options({ archivePath: topLevel, signal: stop.signal })
    expect((await failure(unpackModelArchive(o), TransferStopped)).reason).toBe('cancelled')
    await expectNothingLeft(o.localPath)
  })

  it('an existing .part symlink is not followed: the link goes, its target stays untouched', async () => {
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'precious')
    const o = options({ archivePath: topLevel })
    await mkdir(join(o.localPath, '..'), { recursive: true })
    await symlink(victim, `${o.localPath}.part`)
    expect(await readlink(`${o.localPath}.part`)).toBe(victim)
    expect(await unpackModelArchive(o)).toEqual({ size: model.length, sha256: modelSha })
    expect(await readFile(victim, 'utf8')).toBe('precious')
    expect((await lstat(o.localPath)).isFile()).toBe(true)
    expect(await fileExists(`${o.localPath}.part`)).toBe(false)
  })

  it('a stale regular .part from an earlier run is replaced, not appended to', async () => {
    const o = options({ archivePath: topLevel })
    await mkdir(join(o.localPath, '..'), { recursive: true })
    await writeFile(`${o.localPath}.part`, randomBytes(5 * MiB))
    expect(await unpackModelArchive(o)).toEqual({ size: model.length, sha256: modelSha })
    expect((await stat(o.localPath)).size).toBe(model.length)
  })

  it('a member name with a folder in it is refused: names are matched on their last segment', async () => {
    const o = options({ archivePath: nested, memberName: `sd15/${MEMBER}` })
    await transferError(unpackModelArchive(o), 'invalid_job')
    await expectNothingLeft(o.localPath)
  })
})
