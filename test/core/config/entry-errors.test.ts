import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseModelConfig, parseModelList } from '../../../src/core/config'
import { flatModel, makeLayout, named, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

/** Parses one nested entry `loras/foo` and returns the ConfigError it must produce. */
async function rejectOne(
  overrides: Record<string, unknown>,
  options?: Parameters<typeof parseModelConfig>[1],
) {
  const layout = await makeLayout()
  return rejection(parseModelConfig({ loras: { foo: flatModel(overrides) } }, options ?? layout.options))
}

describe('field checks name the entry and the field', () => {
  it('a missing field', async () => {
    const err = await rejectOne({ localPath: undefined })
    expect(err.issues).toEqual([
      { entry: 'loras/foo', field: 'localPath', message: 'missing; expected an absolute file path' },
    ])
  })

  it('a field of the wrong type', async () => {
    const err = await rejectOne({ modelName: 42 })
    expect(err.issues).toEqual([
      { entry: 'loras/foo', field: 'modelName', message: 'expected a non-empty name, got 42' },
    ])
  })

  it('a size given as text', async () => {
    const err = await rejectOne({ modelSize: '12MB' })
    expect(err.message).toBe(
      'Model config: loras/foo: modelSize: expected a whole number of bytes ≥ 0, got "12MB"',
    )
  })

  it.each([-1, 1.5])('a size of %d', async (size) => {
    const err = await rejectOne({ modelSize: size })
    expect(err.issues).toEqual([
      {
        entry: 'loras/foo',
        field: 'modelSize',
        message: `expected a whole number of bytes ≥ 0, got ${size}`,
      },
    ])
  })

  it.each(['abc', 'g'.repeat(64), 'a'.repeat(63), `sha256:${'a'.repeat(64)}`])(
    'a bad sha256 %s',
    async (sha) => {
      const err = await rejectOne({ sha256: sha })
      expect(named(err.issues)).toEqual(['loras/foo|sha256'])
      expect(err.issues[0]?.message).toMatch(/^expected 64 hexadecimal digits, got "/)
    },
  )

  it('an entry that is not an object', async () => {
    const { options } = await makeLayout()
    const err = await rejection(parseModelList([flatModel(), 'loras/foo.safetensors'], options))
    expect(err.issues).toEqual([
      {
        entry: '[1]',
        field: '',
        message:
          'expected an object with originalS3Path, localPath, modelName, modelSize, directoryGroup, got "loras/foo.safetensors"',
      },
    ])
  })
})

describe('placeholders', () => {
  it('{{NETWORK_VOLUME}} without a network volume', async () => {
    const { root, options } = await makeLayout()
    const err = await rejectOne(
      { symLinkedFrom: '{{NETWORK_VOLUME}}/ComfyUI/models/clip/x.safetensors' },
      { ...options, networkVolume: undefined },
    )
    expect(named(err.issues)).toEqual(['loras/foo|localPath', 'loras/foo|symLinkedFrom'])
    expect(err.issues[0]?.message).toBe(
      'uses {{NETWORK_VOLUME}} but no network volume is set (set NETWORK_VOLUME or the network volume setting)',
    )
    // An empty NETWORK_VOLUME is the same as none, and paths that do not use it need none.
    const fine = await parseModelList([flatModel({ localPath: join(root, 'loras', 'foo.safetensors') })], {
      ...options,
      networkVolume: '',
    })
    expect(fine).toHaveLength(1)
  })

  it('an unknown or half-written placeholder', async () => {
    const unknown = await rejectOne({ localPath: '{{MODELS}}/loras/foo.safetensors' })
    expect(unknown.issues[0]?.message).toBe(
      'unknown placeholder {{MODELS}}; only {{NETWORK_VOLUME}} is supported',
    )
    const unfinished = await rejectOne({ localPath: '{{NETWORK_VOLUME}/ComfyUI/models/foo.safetensors' })
    expect(named(unfinished.issues)).toEqual(['loras/foo|localPath'])
    expect(unfinished.issues[0]?.message).toContain('unfinished placeholder')
  })
})

describe('S3 paths', () => {
  it('a key without a bucket and no default bucket', async () => {
    const { options } = await makeLayout()
    const err = await rejectOne({}, { ...options, defaultBucket: undefined })
    expect(err.issues).toEqual([
      {
        entry: 'loras/foo',
        field: 'originalS3Path',
        message:
          '"models/loras/foo.safetensors" has no bucket and no default bucket is set (set AWS_BUCKET_NAME or the bucket setting)',
      },
    ])
  })

  it.each([
    ['https://example.com/foo.safetensors', 'only s3:// locations are supported'],
    ['s3://bucket-only', 'expected s3://bucket/key'],
    ['s3://bucket/folder/', 'names a folder'],
    ['/', 'names a folder'],
  ])('%s', async (path, message) => {
    const err = await rejectOne({ originalS3Path: path })
    expect(named(err.issues)).toEqual(['loras/foo|originalS3Path'])
    expect(err.issues[0]?.message).toContain(message)
  })
})

describe('the whole config', () => {
  it('lists every problem of every entry, one per line, and returns nothing', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelConfig(
        {
          loras: {
            good: flatModel(),
            foo: flatModel({ modelSize: '12MB', sha256: 'nope' }),
          },
          vae: { bar: flatModel({ originalS3Path: 'ftp://x/y', localPath: '/etc/passwd' }) },
        },
        options,
      ),
    )
    expect(named(err.issues)).toEqual([
      'loras/foo|modelSize',
      'loras/foo|sha256',
      'vae/bar|originalS3Path',
      'vae/bar|localPath',
    ])
    const lines = err.message.split('\n')
    expect(lines[0]).toBe('Model config has 4 problems:')
    expect(lines.slice(1)).toEqual(err.issues.map((i) => `  ${i.entry}: ${i.field}: ${i.message}`))
  })

  it('rejects bad settings once instead of on every entry', async () => {
    const { options } = await makeLayout()
    const err = await rejection(
      parseModelList([flatModel(), flatModel({ modelName: 'b' })], {
        ...options,
        defaultBucket: 'not a bucket',
        networkVolume: 'relative/volume',
        modelsRoots: [],
      }),
    )
    expect(named(err.issues)).toEqual([
      'settings|networkVolume',
      'settings|defaultBucket',
      'settings|modelsRoots',
    ])
  })
})
