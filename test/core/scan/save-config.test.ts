// Save as config / Add to config: a scan of s3rver written in the nested format and read back by the
// config loader, and merged into an existing config without losing anything of it.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadModelConfigFile, parseModelConfig } from '../../../src/core/config'
import { buildFlatConfig, saveModelConfig } from '../../../src/core/config/save-config'
import { scanSource } from '../../../src/core/scan/scan-source'
import type { ModelInfo, ScannedModel } from '../../../src/shared/api-contract'
import { DEFAULT_MODEL_EXTENSIONS } from '../../../src/shared/settings'
import { startS3Server, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { fixtureSize, MODEL_COUNT_DEFAULT_TYPES, seedFixture } from './scan-fixture'

const temp = tempDirs()

/** What a config entry and a listed model must agree on. */
const facts = (m: {
  group: string
  modelName: string
  s3Uri?: string
  localPath: string
  expectedSize: number
}) => `${m.group} ${m.modelName} ${m.s3Uri} ${m.localPath} ${m.expectedSize}`

describe('saveModelConfig', () => {
  let s3: TestS3Server
  let nv: string
  let root: string
  let listing: ScannedModel[]
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await seedFixture(s3, 'models/')
  })
  afterAll(async () => s3?.close())
  afterEach(() => temp.cleanup())

  const setUp = async () => {
    nv = await temp.make('modeldl-save-')
    root = join(nv, 'ComfyUI', 'models')
    await mkdir(root, { recursive: true })
    listing = (
      await scanSource({
        client: s3.client,
        uri: 's3://models/models/',
        extensions: DEFAULT_MODEL_EXTENSIONS,
        modelsRoot: root,
        pageSize: 50,
      })
    ).models
    return { networkVolume: nv, modelsRoots: [root] }
  }

  it('"new" writes the nested format with {{NETWORK_VOLUME}} paths; the loader reads back exactly the listing', async () => {
    const options = await setUp()
    await mkdir(join(nv, 'configs'))
    const path = join(nv, 'configs', 'scanned.json')
    const result = await saveModelConfig({ path, mode: 'new', models: listing }, { networkVolume: nv })
    expect(result).toEqual({ path, written: MODEL_COUNT_DEFAULT_TYPES, kept: 0 })

    const json = JSON.parse(await readFile(path, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    expect(json['loras']!['sdxl/detail-003']).toEqual({
      originalS3Path: 's3://models/models/loras/sdxl/detail-003.safetensors',
      localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/sdxl/detail-003.safetensors',
      modelName: 'detail-003.safetensors',
      modelSize: fixtureSize('loras/sdxl/detail-003.safetensors'),
      directoryGroup: 'loras',
    })
    expect(Object.keys(json['checkpoints']!)).toContain('base-000')
    expect(Object.keys(json['other']!)).toEqual(['loose'])

    const parsed = await parseModelConfig(json, options)
    expect(parsed.format).toBe('nested')
    expect(parsed.entries.map(facts).sort()).toEqual(listing.map(facts).sort())

    // A machine with the volume elsewhere reads the same file into its own paths.
    const elsewhere = await temp.make('modeldl-save-other-')
    await mkdir(join(elsewhere, 'ComfyUI', 'models'), { recursive: true })
    const moved = await loadModelConfigFile(path, {
      networkVolume: elsewhere,
      modelsRoots: [join(elsewhere, 'ComfyUI', 'models')],
    })
    expect(moved.entries.every((e) => e.localPath.startsWith(join(elsewhere, 'ComfyUI', 'models')))).toBe(
      true,
    )
  })

  it('writes absolute paths when the models root is not under NETWORK_VOLUME', async () => {
    await setUp()
    const path = join(nv, 'plain.json')
    await saveModelConfig({ path, mode: 'new', models: listing.slice(0, 3) }, {})
    const text = await readFile(path, 'utf8')
    expect(text).not.toContain('{{NETWORK_VOLUME}}')
    const parsed = await parseModelConfig(JSON.parse(text), { modelsRoots: [root] })
    expect(parsed.entries.map(facts).sort()).toEqual(listing.slice(0, 3).map(facts).sort())
  })

  it('gives unique, stable keys when two files want one (detail.safetensors and detail.ckpt)', async () => {
    await setUp()
    const model = (file: string, size: number): ModelInfo => ({
      id: join(root, 'loras', file),
      entryId: `loras/${file}`,
      group: 'loras',
      modelName: file,
      s3Uri: `s3://models/models/loras/${file}`,
      localPath: join(root, 'loras', file),
      expectedSize: size,
    })
    const path = join(nv, 'keys.json')
    const models = [model('detail.safetensors', 1), model('detail.ckpt', 2), model('other.pt', 3)]
    await saveModelConfig({ path, mode: 'new', models }, { networkVolume: nv })
    const first = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>
    expect(Object.keys(first['loras']!)).toEqual(['detail.safetensors', 'detail.ckpt', 'other'])
    await saveModelConfig({ path, mode: 'new', models: [...models].reverse() }, { networkVolume: nv })
    const second = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>
    expect(Object.keys(second['loras']!).sort()).toEqual(Object.keys(first['loras']!).sort())
    expect((await parseModelConfig(second, { networkVolume: nv, modelsRoots: [root] })).entries).toHaveLength(
      3,
    )
  })

  it('"merge" adds and updates by local file, keeping other entries, unknown fields and the entry\'s own forms', async () => {
    const options = await setUp()
    const path = join(nv, 'existing.json')
    const detail = listing.find((m) => m.entryId === 'loras/sdxl/detail-000.safetensors')!
    const existing = {
      loras: {
        // The same file as a listed model, under the key the user chose, written the user's way.
        my_detail: {
          originalS3Path: 'models/loras/sdxl/detail-000.safetensors',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/sdxl/detail-000.safetensors',
          modelName: 'detail-000.safetensors',
          modelSize: 1,
          directoryGroup: 'loras',
          sha256: 'a'.repeat(64),
          note: 'trained on my photos',
          tags: ['portrait'],
        },
        // Another file that happens to have the key a listed model would want.
        'sdxl/detail-001': {
          originalS3Path: 's3://elsewhere/detail-001-v2.safetensors',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/sdxl/detail-001-v2.safetensors',
          modelName: 'detail-001-v2.safetensors',
          modelSize: 42,
          directoryGroup: 'loras',
        },
      },
      controlnet: {
        canny: {
          originalS3Path: 's3://elsewhere/controlnet/canny.safetensors',
          localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/controlnet/canny.safetensors',
          modelName: 'canny.safetensors',
          modelSize: 1234,
          directoryGroup: 'controlnet',
          uploadedAt: '2025-07-10T08:12:00.000Z',
        },
      },
    }
    await writeFile(path, JSON.stringify(existing, null, 2))
    const adding = listing.filter((m) => m.group === 'loras' && m.entryId.startsWith('loras/sdxl/'))
    const result = await saveModelConfig({ path, mode: 'merge', models: adding }, { networkVolume: nv })
    expect(result).toEqual({ path, written: 120, kept: 2 })

    const merged = JSON.parse(await readFile(path, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    expect(merged['controlnet']).toEqual(existing.controlnet)
    expect(merged['loras']!['sdxl/detail-001']).toEqual(existing.loras['sdxl/detail-001'])
    expect(merged['loras']!['my_detail']).toEqual({
      ...existing.loras.my_detail,
      modelSize: detail.expectedSize,
      // A checksum of the old size would fail every download.
      sha256: undefined,
    })
    expect(Object.keys(merged['loras']!['my_detail']!)).not.toContain('sha256')
    expect(merged['loras']!['sdxl/detail-000']).toBeUndefined()
    // The listed detail-001 took another key rather than overwrite the user's entry.
    expect(merged['loras']!['sdxl/detail-001.safetensors']).toMatchObject({
      modelName: 'detail-001.safetensors',
    })
    expect(Object.keys(merged['loras']!)).toHaveLength(2 + 119)

    const parsed = await parseModelConfig(merged, { ...options, defaultBucket: 'models' })
    const fromListing = parsed.entries.filter((e) => e.s3Uri?.startsWith('s3://models/'))
    expect(fromListing.map(facts).sort()).toEqual(adding.map(facts).sort())
    expect(parsed.entries.find((e) => e.key === 'my_detail')!.extra).toEqual({
      note: 'trained on my photos',
      tags: ['portrait'],
    })

    // Merging the same listing again changes nothing.
    const before = await readFile(path, 'utf8')
    expect(await saveModelConfig({ path, mode: 'merge', models: adding }, { networkVolume: nv })).toEqual({
      path,
      written: 120,
      kept: 2,
    })
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('"merge" refuses a flat list or broken JSON and leaves the file alone; a missing file is created in an existing folder', async () => {
    await setUp()
    const flat = join(nv, 'flat.json')
    const flatText = JSON.stringify(buildFlatConfig(listing.slice(0, 2), { networkVolume: nv }))
    await writeFile(flat, flatText)
    const err = await saveModelConfig({ path: flat, mode: 'merge', models: listing.slice(2, 4) }, {}).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/flat list of models.*save as a new file instead/)
    expect(await readFile(flat, 'utf8')).toBe(flatText)

    const broken = join(nv, 'broken.json')
    await writeFile(broken, '{"loras": {')
    await expect(saveModelConfig({ path: broken, mode: 'merge', models: listing }, {})).rejects.toThrow(
      /not valid JSON at line 1/,
    )
    expect(await readFile(broken, 'utf8')).toBe('{"loras": {')

    const fresh = join(nv, 'new', 'added.json')
    await expect(
      saveModelConfig({ path: fresh, mode: 'merge', models: listing.slice(0, 5) }, {}),
    ).rejects.toThrow(`the folder ${join(nv, 'new')} does not exist`)
    await mkdir(join(nv, 'new'))
    expect(await saveModelConfig({ path: fresh, mode: 'merge', models: listing.slice(0, 5) }, {})).toEqual({
      path: fresh,
      written: 5,
      kept: 0,
    })
    await expect(saveModelConfig({ path: 'relative.json', mode: 'new', models: [] }, {})).rejects.toThrow(
      /absolute file path/,
    )
  })
})
