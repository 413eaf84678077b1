import { lstat, mkdir, readFile, readdir, readlink, realpath, symlink, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { linkModel } from '../../../../src/core/service/local/model-link'
import { makeTempDir, removeTempDir } from '../../../support/temp'

const SIZE = 2048
const content = Buffer.alloc(SIZE, 1)

describe('linkModel', () => {
  let dir: string
  let target: string
  let link: string
  beforeEach(async () => {
    dir = await makeTempDir('model-link-')
    target = join(dir, 'models', 'text_encoders', 'clip_l.safetensors')
    link = join(dir, 'models', 'clip', 'clip_l.safetensors')
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  })
  afterEach(() => removeTempDir(dir))

  async function expectLinkedToTarget(): Promise<void> {
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await realpath(link)).toBe(await realpath(target))
  }

  it('creates a relative link, and its parent folders, that resolves to the target', async () => {
    expect(await linkModel(link, target, SIZE)).toBe('created')
    const text = await readlink(link)
    expect(isAbsolute(text)).toBe(false)
    expect(text).toBe(join('..', 'text_encoders', 'clip_l.safetensors'))
    await expectLinkedToTarget()
    expect(await readFile(link)).toEqual(content)
  })

  it('is idempotent: a second call finds the link already there', async () => {
    expect(await linkModel(link, target, SIZE)).toBe('created')
    expect(await linkModel(link, target, SIZE)).toBe('already_linked')
    await expectLinkedToTarget()
    // No temporary links left behind.
    expect(await readdir(dirname(link))).toEqual(['clip_l.safetensors'])
  })

  it('counts an absolute link to the same file as already linked', async () => {
    await mkdir(dirname(link), { recursive: true })
    await symlink(target, link)
    expect(await linkModel(link, target, SIZE)).toBe('already_linked')
    expect(await readlink(link)).toBe(target)
  })

  it('replaces a link to another file', async () => {
    const other = join(dir, 'models', 'other.safetensors')
    await writeFile(other, content)
    await mkdir(dirname(link), { recursive: true })
    await symlink(other, link)
    expect(await linkModel(link, target, SIZE)).toBe('replaced')
    await expectLinkedToTarget()
  })

  it('replaces a broken link', async () => {
    await mkdir(dirname(link), { recursive: true })
    await symlink('../gone.safetensors', link)
    expect(await linkModel(link, target, SIZE)).toBe('replaced')
    await expectLinkedToTarget()
  })

  it('keeps a regular file of the expected size', async () => {
    const mine = Buffer.alloc(SIZE, 9)
    await mkdir(dirname(link), { recursive: true })
    await writeFile(link, mine)
    expect(await linkModel(link, target, SIZE)).toBe('kept_existing_file')
    expect((await lstat(link)).isFile()).toBe(true)
    expect(await readFile(link)).toEqual(mine)
  })

  it('replaces a regular file of another size', async () => {
    await mkdir(dirname(link), { recursive: true })
    await writeFile(link, content.subarray(0, 100))
    expect(await linkModel(link, target, SIZE)).toBe('replaced')
    await expectLinkedToTarget()
  })

  it('refuses to replace a directory, naming the path', async () => {
    await mkdir(link, { recursive: true })
    await expect(linkModel(link, target, SIZE)).rejects.toThrow(link)
    expect((await lstat(link)).isDirectory()).toBe(true)
  })

  it('refuses a target that is missing, not a file, or of another size', async () => {
    const missing = join(dir, 'missing.safetensors')
    await expect(linkModel(link, missing, SIZE)).rejects.toThrow(missing)
    await expect(linkModel(link, dirname(target), SIZE)).rejects.toThrow('not a regular file')
    await expect(linkModel(link, target, SIZE + 1)).rejects.toThrow(
      `${target} is ${SIZE} bytes, expected ${SIZE + 1} bytes`,
    )
    await expect(lstat(link)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('makes the relative link from the real folder when the link folder is reached through a symlink', async () => {
    // <dir>/alias → <dir>/models: the system resolves a relative link from the real folder.
    await symlink(join(dir, 'models'), join(dir, 'alias'))
    const viaAlias = join(dir, 'alias', 'loras', 'clip_l.safetensors')
    expect(await linkModel(viaAlias, target, SIZE)).toBe('created')
    expect(await readlink(viaAlias)).toBe(join('..', 'text_encoders', 'clip_l.safetensors'))
    expect(await realpath(viaAlias)).toBe(await realpath(target))
  })
})
