import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseModelConfig, parseModelList } from '../../../src/core/config'
import { flatModel, makeLayout, named, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

describe('paths must stay inside a models root', () => {
  it('rejects a ".." escape even when it normalizes back inside', async () => {
    const { root, options } = await makeLayout()
    const err = await rejection(
      parseModelConfig(
        {
          loras: {
            out: flatModel({ localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/../../../etc/foo.safetensors' }),
            back: flatModel({ localPath: join(root, 'loras') + '/../loras/foo.safetensors' }),
          },
        },
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['loras/out|localPath', 'loras/back|localPath'])
    expect(err.issues[0]?.message).toContain('must not contain ".." segments')
  })

  it('rejects a NUL byte', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelConfig(
        { loras: { foo: flatModel({ localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/a\0.bin' }) } },
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['loras/foo|localPath'])
    expect(err.issues[0]?.message).toContain('contains a NUL byte')
  })

  it('rejects a relative path and a folder path', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelList(
        [
          flatModel({ localPath: 'models/loras/foo.safetensors' }),
          flatModel({ modelName: 'b', localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/' }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[0]|localPath', '[1]|localPath'])
    expect(err.issues[0]?.message).toContain('expected an absolute file path')
    expect(err.issues[1]?.message).toContain('ends with a path separator')
  })

  it('rejects an absolute path outside the roots, and the root itself, naming the roots', async () => {
    const { base, root, options } = await makeLayout()
    const err = await rejection(
      parseModelList(
        [
          flatModel({ localPath: join(base, 'elsewhere', 'foo.safetensors') }),
          flatModel({ modelName: 'b', localPath: root }),
          flatModel({ modelName: 'c', localPath: `${root}-evil/foo.safetensors` }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[0]|localPath', '[1]|localPath', '[2]|localPath'])
    expect(err.issues[0]?.message).toBe(
      `${join(base, 'elsewhere', 'foo.safetensors')} is outside the models roots (${root})`,
    )
  })

  it('rejects a symlinked folder inside the root that points outside it', async () => {
    const { base, root, options } = await makeLayout()
    await mkdir(join(base, 'outside'))
    await symlink(join(base, 'outside'), join(root, 'loras'))
    const err = await rejection(
      parseModelConfig(
        { loras: { foo: flatModel(), bar: flatModel({ symLinkedFrom: join(root, 'loras', 'src.bin') }) } },
        options,
      ),
    )
    expect(named(err.issues)).toEqual([
      'loras/foo|localPath',
      'loras/bar|localPath',
      'loras/bar|symLinkedFrom',
    ])
    expect(err.issues[0]?.message).toMatch(/leads to .*outside.* through a symlink, outside the models roots/)
  })

  it('rejects a dangling symlink that points outside, and a symlink loop', async () => {
    const { base, root, options } = await makeLayout()
    await symlink(join(base, 'not-yet', 'target.bin'), join(root, 'dangling.bin'))
    await symlink(join(root, 'loop-b'), join(root, 'loop-a'))
    await symlink(join(root, 'loop-a'), join(root, 'loop-b'))
    const err = await rejection(
      parseModelList(
        [
          flatModel({ localPath: join(root, 'dangling.bin') }),
          flatModel({ modelName: 'b', localPath: join(root, 'loop-a', 'x.bin') }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[0]|localPath', '[1]|localPath'])
    expect(err.issues[0]?.message).toContain(join(base, 'not-yet', 'target.bin'))
    expect(err.issues[1]?.message).toContain('symlink loop')
  })

  it('accepts symlinks that stay inside the roots, and a root that is itself a symlink', async () => {
    const { base, root, options } = await makeLayout()
    // A link the service made after a download, whose target was since deleted: still inside.
    await symlink(join(root, 'clip', 'gone.bin'), join(root, 'link.bin'))
    const extra = join(base, 'big-disk')
    await mkdir(extra)
    await symlink(extra, join(root, 'checkpoints'))
    const linkedRoot = join(base, 'linked-root')
    await symlink(root, linkedRoot)

    const entries = await parseModelList(
      [
        flatModel({ localPath: join(root, 'link.bin') }),
        flatModel({ modelName: 'b', localPath: join(root, 'checkpoints', 'b.bin') }),
        flatModel({ modelName: 'c', localPath: join(linkedRoot, 'c.bin') }),
      ],
      { ...options, modelsRoots: [linkedRoot, extra] },
    )
    expect(entries.map((e) => e.localPath)).toEqual([
      join(root, 'link.bin'),
      join(root, 'checkpoints', 'b.bin'),
      join(linkedRoot, 'c.bin'),
    ])
  })

  it('normalizes what it accepts', async () => {
    const { root, options } = await makeLayout()
    const [entry] = await parseModelList(
      [flatModel({ localPath: `${root}//loras/./foo.safetensors`, symLinkedFrom: `${root}/clip//x.bin` })],
      { ...options, modelsRoots: [`${root}/`] },
    )
    expect(entry?.localPath).toBe(join(root, 'loras', 'foo.safetensors'))
    expect(entry?.symLinkedFrom).toBe(join(root, 'clip', 'x.bin'))
  })

  it('rejects an entry linked from itself', async () => {
    const { options } = await makeLayout()
    const self = '{{NETWORK_VOLUME}}/ComfyUI/models/loras/foo.safetensors'
    const err = await rejection(parseModelList([flatModel({ symLinkedFrom: self })], options))
    expect(named(err.issues)).toEqual(['[0]|symLinkedFrom'])
  })
})
