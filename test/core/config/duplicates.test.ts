import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseModelConfig, parseModelList } from '../../../src/core/config'
import { flatModel, makeLayout, named, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

describe('entries that name the same file', () => {
  it('rejects two objects for one path, comparing case-folded, naming both entries', async () => {
    const { root, options } = await makeLayout()
    const err = await rejection(
      parseModelConfig(
        {
          loras: { foo: flatModel() },
          LoRAs: {
            Foo: flatModel({
              localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/LoRAs/Foo.safetensors',
              originalS3Path: 'models/loras/other.safetensors',
            }),
          },
        },
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['LoRAs/Foo|localPath'])
    expect(err.issues[0]?.message).toBe(
      `${join(root, 'LoRAs', 'Foo.safetensors')} is the same file as loras/foo's ${join(root, 'loras', 'foo.safetensors')} ` +
        'on case-insensitive file systems (macOS, Windows), with a different object ' +
        '(s3://models-bucket/models/loras/foo.safetensors vs s3://models-bucket/models/loras/other.safetensors)',
    )
  })

  it('rejects the same path with a different object or size', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelList(
        [
          flatModel(),
          flatModel({ modelName: 'b', originalS3Path: 's3://other-bucket/models/loras/foo.safetensors' }),
          flatModel({ modelName: 'c', modelSize: 99 }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[1]|localPath', '[2]|localPath'])
    expect(err.issues[0]?.message).toContain('same file as [0]')
    expect(err.issues[1]?.message).toContain('a different size (1234 vs 99)')
  })

  it('rejects names that differ only in case even for the same object', async () => {
    // Linux would make two files and macOS one: no single reading is right everywhere.
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelList(
        [
          flatModel(),
          flatModel({ modelName: 'b', localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/FOO.safetensors' }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[1]|localPath'])
    expect(err.issues[0]?.message).toContain('use one spelling for both')
  })

  it('sees through a symlinked folder to the same file', async () => {
    const { root, options } = await makeLayout()
    await mkdir(join(root, 'clip'))
    await symlink(join(root, 'clip'), join(root, 'text_encoders'))
    const err = await rejection(
      parseModelList(
        [
          flatModel({ localPath: join(root, 'clip', 'x.bin') }),
          flatModel({
            modelName: 'b',
            localPath: join(root, 'text_encoders', 'x.bin'),
            originalS3Path: 'other',
          }),
        ],
        options,
      ),
    )
    expect(named(err.issues)).toEqual(['[1]|localPath'])
  })

  it('merges identical entries into the first, recording the others as aliases', async () => {
    const { options } = await makeLayout()
    const { entries } = await parseModelConfig(
      {
        loras: { foo: flatModel() },
        more_loras: {
          foo: flatModel({ originalS3Path: 's3://models-bucket/models/loras/foo.safetensors' }),
          again: flatModel({ sha256: 'C'.repeat(64), extra: true }),
        },
      },
      options,
    )
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      id: 'loras/foo',
      aliases: ['more_loras/foo', 'more_loras/again'],
      sha256: 'c'.repeat(64),
      extra: {},
    })
  })

  it('keeps entries that share an object at different paths', async () => {
    const { options } = await makeLayout()
    const entries = await parseModelList(
      [
        flatModel(),
        flatModel({
          directoryGroup: 'other',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/other/foo.safetensors',
        }),
      ],
      options,
    )
    expect(entries.map((e) => e.id)).toEqual(['loras/foo.safetensors', 'other/foo.safetensors'])
    expect(entries[0]?.s3Uri).toBe(entries[1]?.s3Uri)
  })

  it('rejects one flat id used for two files', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelList(
        [flatModel(), flatModel({ localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/copy.safetensors' })],
        options,
      ),
    )
    expect(err.issues).toEqual([
      {
        entry: '[1]',
        field: 'modelName',
        message:
          'id loras/foo.safetensors is already used by [0] for another file; directoryGroup/modelName must be unique',
      },
    ])
  })
})
