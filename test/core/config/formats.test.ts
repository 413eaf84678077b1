import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  loadModelConfigFile,
  parseModelConfig,
  parseModelList,
  parseSingleModel,
} from '../../../src/core/config'
import { flatModel, makeLayout, named, rejection, temp } from './helpers'

const sample = join(import.meta.dirname, 'fixtures', 'model-config.nested.json')

afterEach(() => temp.cleanup())

describe('the old nested format', () => {
  it('loads the sample config with a network volume and a default bucket', async () => {
    const { base, root, options } = await makeLayout()
    const file = join(base, 'config.json')
    await copyFile(sample, file)

    const config = await loadModelConfigFile(file, options)

    expect(config.format).toBe('nested')
    expect(config.entries).toHaveLength(11)
    const byId = new Map(config.entries.map((entry) => [entry.id, entry]))
    expect(byId.get('checkpoints/sd_xl_base_1.0')).toEqual({
      id: 'checkpoints/sd_xl_base_1.0',
      group: 'checkpoints',
      key: 'sd_xl_base_1.0',
      modelName: 'sd_xl_base_1.0.safetensors',
      s3Uri: 's3://models-bucket/models/checkpoints/sd_xl_base_1.0.safetensors',
      localPath: join(root, 'checkpoints', 'sd_xl_base_1.0.safetensors'),
      expectedSize: 6938078334,
      aliases: [],
      extra: { uploadedAt: '2025-07-10T08:12:00.000Z', lastUpdated: '2025-07-10T08:12:00.000Z' },
    })
    // A full s3:// path keeps its own bucket.
    expect(byId.get('checkpoints/v1-5-pruned-emaonly-fp16')?.s3Uri).toBe(
      's3://example-model-bucket/models/checkpoints/v1-5-pruned-emaonly-fp16.safetensors',
    )
    // Two entries share one object at different paths: both stay, one links from the other.
    const link = byId.get('text_encoders/clip_l')
    expect(link?.symLinkedFrom).toBe(join(root, 'clip', 'clip_l.safetensors'))
    expect(link?.s3Uri).toBe(byId.get('clip/clip_l')?.s3Uri)
  })

  it('names entries by group and key, not by their own fields', async () => {
    const { options } = await makeLayout()
    const { entries } = await parseModelConfig(
      { custom: { 'my-key': flatModel({ directoryGroup: 'loras', modelName: 'other.safetensors' }) } },
      options,
    )
    expect(entries.map((entry) => [entry.id, entry.group, entry.key])).toEqual([
      ['custom/my-key', 'custom', 'my-key'],
    ])
  })

  it('rejects a group that is not an object of models', async () => {
    const { options } = await makeLayout()
    const err = await rejection(parseModelConfig({ loras: [flatModel()] }, options))
    expect(err.issues).toEqual([
      { entry: 'loras', field: '', message: 'expected an object of models keyed by name, got an array' },
    ])
  })

  it('points out a single model passed as a whole config', async () => {
    const { options } = await makeLayout()
    const err = await rejection(parseModelConfig(flatModel(), options))
    expect(err.issues).toHaveLength(1)
    expect(err.message).toContain('this is one model, not a config')
  })
})

describe('the flat format', () => {
  it('is detected from an array and named by directoryGroup/modelName', async () => {
    const { root, options } = await makeLayout()
    const sha = 'AB'.repeat(32)
    const config = await parseModelConfig(
      [
        flatModel({ sha256: sha, note: 'kept', tags: ['a', 'b'] }),
        flatModel({
          directoryGroup: 'vae',
          modelName: 'ae.safetensors',
          originalS3Path: '/models/vae/ae.safetensors',
          localPath: join(root, 'vae', 'ae.safetensors'),
          modelSize: 0,
          symLinkedFrom: null,
        }),
      ],
      options,
    )
    expect(config.format).toBe('flat')
    expect(config.entries).toEqual([
      {
        id: 'loras/foo.safetensors',
        group: 'loras',
        key: 'foo.safetensors',
        modelName: 'foo.safetensors',
        s3Uri: 's3://models-bucket/models/loras/foo.safetensors',
        localPath: join(root, 'loras', 'foo.safetensors'),
        expectedSize: 1234,
        sha256: 'ab'.repeat(32),
        aliases: [],
        extra: { note: 'kept', tags: ['a', 'b'] },
      },
      {
        id: 'vae/ae.safetensors',
        group: 'vae',
        key: 'ae.safetensors',
        modelName: 'ae.safetensors',
        s3Uri: 's3://models-bucket/models/vae/ae.safetensors',
        localPath: join(root, 'vae', 'ae.safetensors'),
        expectedSize: 0,
        aliases: [],
        extra: {},
      },
    ])
  })

  it('keeps unknown field values untouched (the same objects)', async () => {
    const { options } = await makeLayout()
    const meta = { source: { url: 'https://example.invalid' } }
    const [entry] = await parseModelList([flatModel({ meta })], options)
    expect(entry?.extra.meta).toBe(meta)
  })

  it('parseModelList takes only an array', async () => {
    const { options } = await makeLayout()
    expect(await parseModelList([], options)).toEqual([])
    const err = await rejection(parseModelList({ loras: {} }, options))
    expect(err.message).toBe('Model config: expected an array of models (flat format), got an object')
  })

  it('parseSingleModel takes one object and shares the same checks', async () => {
    const { root, options } = await makeLayout()
    const entry = await parseSingleModel(flatModel({ originalS3Path: 's3://other/x.bin' }), options)
    expect(entry).toMatchObject({ id: 'loras/foo.safetensors', s3Uri: 's3://other/x.bin' })
    expect(entry.localPath).toBe(join(root, 'loras', 'foo.safetensors'))

    const bad = await rejection(parseSingleModel(flatModel({ modelSize: -1 }), options))
    expect(named(bad.issues)).toEqual(['model|modelSize'])
    const list = await rejection(parseSingleModel([flatModel()], options))
    expect(list.message).toContain('use list mode')
  })
})

describe('neither format', () => {
  it.each([
    ['a string', '"hello"'],
    ['a number', '42'],
    ['null', 'null'],
  ])('rejects %s at the top level', async (_kind, text) => {
    const { options } = await makeLayout()
    const err = await rejection(parseModelConfig(JSON.parse(text), options))
    expect(err.message).toMatch(
      /^Model config: expected an object of groups \(nested format\) or an array of models \(flat format\), got /,
    )
  })
})
