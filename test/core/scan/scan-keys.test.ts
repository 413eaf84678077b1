// Keys s3rver cannot list as real S3 does (see listing-server.ts): escaping paths, and S3's byte order
// with other keys between a model and its compressed copy.
import { S3Client } from '@aws-sdk/client-s3'
import { isAbsolute, join, relative } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mapKey, markerFolders } from '../../../src/core/scan/key-mapping'
import { scanSource } from '../../../src/core/scan/scan-source'
import { parseSourceUri } from '../../../src/core/scan/source-uri'
import { TEST_CREDENTIALS, TEST_REGION } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import { startListingServer, type ListingServer } from './listing-server'

const temp = tempDirs()

const HOSTILE = [
  'models/../escape.safetensors',
  'models/../../../../etc/cron.d/evil.safetensors',
  'models/loras/../../outside.safetensors',
  'models/loras/./dot.safetensors',
  'models/loras//double-slash.safetensors',
  'models//root-escape.safetensors',
  'models/loras/..',
  'models/loras/..\\..\\win.safetensors',
  'models/C:/drive.safetensors',
]

describe('scanSource with a listing real S3 could return', () => {
  let server: ListingServer
  let client: S3Client
  beforeAll(async () => {
    server = await startListingServer('b', [
      ...HOSTILE.map((key) => ({ key, size: 5 })),
      { key: 'models/loras/safe.safetensors', size: 11 },
      { key: 'models/loras/folder-marker/', size: 0 },
      // S3 order: the model, keys that extend its name, then its copy (".tar.zst": '.' sorts after '-').
      { key: 'models/ckpt/a.safetensors', size: 100 },
      { key: 'models/ckpt/a.safetensors-notes.safetensors', size: 3 },
      { key: 'models/ckpt/a.safetensors.backup.safetensors', size: 4 },
      { key: 'models/ckpt/a.safetensors.tar.zst', size: 50 },
      { key: 'models/ckpt/b.safetensors', size: 7 },
      { key: 'models/ckpt/b.safetensors.tar.zst', size: 6 },
    ])
    client = new S3Client({
      endpoint: server.endpoint,
      region: TEST_REGION,
      credentials: { ...TEST_CREDENTIALS },
      forcePathStyle: true,
    })
  })
  afterAll(async () => {
    client?.destroy()
    await server?.close()
  })
  afterEach(() => temp.cleanup())

  it('skips keys that would escape the models root or mean another path, and never yields a path outside it', async () => {
    const root = join(await temp.make('modeldl-keys-'), 'models')
    const result = await scanSource({
      client,
      uri: 's3://b/models/',
      extensions: ['.safetensors'],
      modelsRoot: root,
      allTypes: true,
    })
    for (const model of result.models) {
      const rel = relative(root, model.localPath)
      expect(rel.startsWith('..') || isAbsolute(rel), model.localPath).toBe(false)
    }
    expect(result.models.map((m) => m.entryId).filter((id) => id.startsWith('loras/'))).toEqual([
      'loras/safe.safetensors',
    ])
    expect(result.listed).toBe(HOSTILE.length + 8)
    expect(result.folders).toEqual(['ckpt', 'loras', 'loras/folder-marker'])
  })

  it('folds a copy that comes after other keys extending the model name, for every page size', async () => {
    const root = await temp.make('modeldl-keys-')
    for (const pageSize of [1, 2, 3, 4, 1000]) {
      const result = await scanSource({
        client,
        uri: 's3://b/models/ckpt/',
        extensions: ['.safetensors'],
        modelsRoot: root,
        pageSize,
      })
      expect(
        result.models.map((m) => [m.modelName, m.hasCompressedSibling]),
        `pageSize ${pageSize}`,
      ).toEqual([
        ['a.safetensors', true],
        ['a.safetensors-notes.safetensors', false],
        ['a.safetensors.backup.safetensors', false],
        ['b.safetensors', true],
      ])
    }
  })
})

describe('mapKey and parseSourceUri', () => {
  const root = join('/', 'srv', 'models')
  it('maps the ComfyUI layout and refuses anything that leaves the root', () => {
    expect(mapKey('loras/sdxl/a.safetensors', root)).toEqual({
      group: 'loras',
      pathInGroup: 'sdxl/a.safetensors',
      entryId: 'loras/sdxl/a.safetensors',
      name: 'a.safetensors',
      localPath: join(root, 'loras', 'sdxl', 'a.safetensors'),
      folders: ['loras', 'loras/sdxl'],
    })
    for (const bad of [
      '../a',
      'a/../../b',
      './a',
      'a//b',
      '/a',
      'a/',
      '..',
      'a\\..\\b',
      'c:/x',
      'a\u0000b',
    ]) {
      expect(mapKey(bad, root), bad).toBeNull()
    }
    expect(markerFolders('loras/sdxl/')).toEqual(['loras', 'loras/sdxl'])
    expect(markerFolders('loras/../')).toEqual([])
  })

  it('reads a source as a folder: a missing trailing slash is added, the bucket is checked', () => {
    expect(parseSourceUri('s3://bucket/models')).toEqual({
      ok: true,
      source: { bucket: 'bucket', prefix: 'models/' },
    })
    expect(parseSourceUri('s3://bucket')).toEqual({ ok: true, source: { bucket: 'bucket', prefix: '' } })
    expect(parseSourceUri('s3://bucket/')).toEqual({ ok: true, source: { bucket: 'bucket', prefix: '' } })
    expect(parseSourceUri('s3://bucket/a/b/')).toEqual({
      ok: true,
      source: { bucket: 'bucket', prefix: 'a/b/' },
    })
    expect(parseSourceUri('bucket/models').ok).toBe(false)
  })
})

describe('scanSource folders from a delimited listing', () => {
  afterEach(() => temp.cleanup())

  it('reports the first level, a folder that holds only folders included, and never an unsafe one', async () => {
    const server = await startListingServer('b', [
      { key: 'models/unet/flux/deep.safetensors', size: 3 },
      { key: 'models/vae/ae.safetensors', size: 4 },
      { key: 'models/../up.safetensors', size: 5 },
      { key: 'models/top.safetensors', size: 6 },
    ])
    const client = new S3Client({
      endpoint: server.endpoint,
      region: TEST_REGION,
      credentials: { ...TEST_CREDENTIALS },
      forcePathStyle: true,
    })
    try {
      const seen: string[][] = []
      const result = await scanSource({
        client,
        uri: 's3://b/models/',
        extensions: ['.safetensors'],
        modelsRoot: await temp.make('modeldl-keys-'),
        onFolders: (folders) => void seen.push(folders),
      })
      expect(seen).toEqual([['unet', 'vae']])
      expect(result.folders).toEqual(['unet', 'unet/flux', 'vae'])
      // One delimited request, then the full listing.
      expect(server.requests).toBe(2)
    } finally {
      client.destroy()
      await server.close()
    }
  })
})
