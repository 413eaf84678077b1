import { afterEach, describe, expect, it } from 'vitest'
import { parseModelConfig, parseModelList } from '../../../src/core/config'
import { buildFlatConfig } from '../../../src/core/config/save-config'
import { modelInfo } from '../../../src/core/app/loaded-config'
import { EnqueueEntrySchema } from '../../../src/shared/service-schemas'
import { flatModel, makeLayout, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

const URL_ = 'https://huggingface.co/org/m/resolve/main/foo.safetensors'
const SHA = 'ab'.repeat(32)

describe('a model from a URL', () => {
  it('takes url in place of originalS3Path, with its sha256, and writes it back the same way', async () => {
    const { options } = await makeLayout()
    const [entry] = await parseModelList(
      [flatModel({ originalS3Path: undefined, url: URL_, sha256: SHA })],
      options,
    )
    expect(entry).toMatchObject({ url: URL_, sha256: SHA })
    expect(entry!.s3Uri).toBeUndefined()
    const [written] = buildFlatConfig([modelInfo(entry!)], {})
    expect(written).toMatchObject({ url: URL_, sha256: SHA })
    expect(written).not.toHaveProperty('originalS3Path')
    const [again] = await parseModelList([written], options)
    expect(again).toMatchObject({ url: URL_, localPath: entry!.localPath })
  })

  it('needs exactly one of originalS3Path and url', async () => {
    const { options } = await makeLayout()
    const both = await rejection(parseModelConfig({ loras: { foo: flatModel({ url: URL_ }) } }, options))
    expect(both.issues).toEqual([
      { entry: 'loras/foo', field: 'originalS3Path', message: 'give either originalS3Path or url, not both' },
    ])
    const neither = await rejection(
      parseModelConfig({ loras: { foo: flatModel({ originalS3Path: undefined }) } }, options),
    )
    expect(neither.issues[0]!.message).toMatch(/^missing; expected an S3 location .*, or a url$/)
  })

  it.each(['http://example.com/a.bin', 'file:///etc/passwd', 'ftp://x/y', 'https://'])(
    'refuses url %s',
    async (url) => {
      const { options } = await makeLayout()
      const err = await rejection(
        parseModelConfig({ loras: { foo: flatModel({ originalS3Path: undefined, url }) } }, options),
      )
      expect(err.issues[0]).toMatchObject({
        field: 'url',
        message: expect.stringMatching(/expected an https:\/\/ URL/),
      })
    },
  )

  it('the enqueue request takes one source per entry, https only', () => {
    const base = { group: 'g', modelName: 'm', localPath: '/models/g/m', expectedSize: 1 }
    expect(EnqueueEntrySchema.safeParse({ ...base, url: URL_ }).success).toBe(true)
    expect(EnqueueEntrySchema.safeParse({ ...base, s3Uri: 's3://b/k' }).success).toBe(true)
    expect(EnqueueEntrySchema.safeParse({ ...base }).success).toBe(false)
    expect(EnqueueEntrySchema.safeParse({ ...base, url: URL_, s3Uri: 's3://b/k' }).success).toBe(false)
    expect(EnqueueEntrySchema.safeParse({ ...base, url: 'file:///etc/passwd' }).success).toBe(false)
  })
})
