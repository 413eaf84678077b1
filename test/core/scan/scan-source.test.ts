// scanSource against s3rver (under --openssl-legacy-provider, so truncated listings work): a few hundred
// keys in nested folders, small pages and one real 1000-key page boundary.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { scanSource, ScanError, ROOT_GROUP, type ScanPage } from '../../../src/core/scan/scan-source'
import type { ScannedModel } from '../../../src/shared/api-contract'
import { DEFAULT_MODEL_EXTENSIONS } from '../../../src/shared/settings'
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy'
import { startS3Server, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'
import {
  fixtureKeys,
  fixtureSize,
  MODEL_COUNT_ALL_TYPES,
  MODEL_COUNT_DEFAULT_TYPES,
  seedFixture,
} from './scan-fixture'

const temp = tempDirs()
const EXT = DEFAULT_MODEL_EXTENSIONS

describe('scanSource (s3rver)', () => {
  let s3: TestS3Server
  let root: string
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await seedFixture(s3, 'models/')
    // Beside the source, sharing its name as a prefix: never part of s3://models/models/.
    await s3.put('models-old/checkpoints/stale.safetensors', Buffer.from('x'))
  })
  afterAll(async () => s3?.close())
  afterEach(() => temp.cleanup())

  const scan = async (extra: Partial<Parameters<typeof scanSource>[0]> = {}) => {
    root ??= join(await temp.make('modeldl-scan-'), 'ComfyUI', 'models')
    return scanSource({
      client: s3.client,
      uri: 's3://models/models/',
      extensions: EXT,
      modelsRoot: root,
      ...extra,
    })
  }

  it('maps <prefix>/<group>/<path…>/<file> to <models root>/<group>/<path…>/<file>, across small pages', async () => {
    root = join(await temp.make('modeldl-scan-'), 'ComfyUI', 'models')
    const pages: ScanPage[] = []
    const result = await scan({ pageSize: 7, onPage: (page) => void pages.push(page) })

    expect(result.listed).toBe(fixtureKeys().length)
    expect(pages.length).toBe(Math.ceil(fixtureKeys().length / 7))
    expect(result.models).toHaveLength(MODEL_COUNT_DEFAULT_TYPES)
    // Each model is reported once, on the page it became known; the pages add up to the result.
    expect(pages.flatMap((p) => p.models)).toEqual(result.models)
    expect(new Set(result.models.map((m) => m.id)).size).toBe(result.models.length)
    expect(pages.map((p) => p.listed)).toEqual(pages.map((_, i) => Math.min((i + 1) * 7, result.listed)))

    const detail = result.models.find((m) => m.entryId === 'loras/sdxl/detail-007.safetensors')!
    expect(detail).toMatchObject({
      id: join(root, 'loras/sdxl/detail-007.safetensors'),
      localPath: join(root, 'loras/sdxl/detail-007.safetensors'),
      group: 'loras',
      modelName: 'detail-007.safetensors',
      s3Uri: 's3://models/models/loras/sdxl/detail-007.safetensors',
      expectedSize: fixtureSize('loras/sdxl/detail-007.safetensors'),
      hasCompressedSibling: false,
      local: { state: 'missing' },
    })
    expect(detail.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(Date.parse(detail.lastModified)).toBeGreaterThan(Date.now() - 3_600_000)

    const deep = result.models.find((m) => m.modelName === 'ink-042.SafeTensors')!
    expect(deep.group).toBe('loras')
    expect(deep.entryId).toBe('loras/flux/style/ink-042.SafeTensors')
    expect(deep.localPath).toBe(join(root, 'loras/flux/style/ink-042.SafeTensors'))

    // Directly under the prefix: a group of its own, the file straight in the models root.
    const loose = result.models.find((m) => m.modelName === 'loose.safetensors')!
    expect(loose).toMatchObject({ group: ROOT_GROUP, entryId: `${ROOT_GROUP}/loose.safetensors` })
    expect(loose.localPath).toBe(join(root, 'loose.safetensors'))

    expect(new Set(result.models.map((m) => m.group))).toEqual(
      new Set(['checkpoints', 'loras', 'vae', 'unet', 'upscale_models', 'clip', 'embeddings', ROOT_GROUP]),
    )
    expect(result.folders).toEqual([
      'archives',
      'checkpoints',
      'clip',
      'docs',
      'embeddings',
      'loras',
      'loras/flux',
      'loras/flux/style',
      'loras/sdxl',
      'unet',
      'upscale_models',
      'vae',
    ])
    // The tree grows page by page and never loses a folder.
    for (let i = 1; i < pages.length; i++) {
      expect(pages[i]!.folders).toEqual(expect.arrayContaining(pages[i - 1]!.folders))
    }
    expect(result.models.some((m) => m.s3Uri?.includes('models-old'))).toBe(false)
  })

  it('filters by extension (case-insensitive) unless allTypes; a .tar.zst is never its own model beside its object', async () => {
    const typed = await scan()
    const names = typed.models.map((m) => m.modelName)
    expect(names).not.toContain('README.txt')
    expect(names).not.toContain('config.json')
    expect(names.filter((n) => n.endsWith('.tar.zst'))).toEqual([])
    expect(names).toContain('ink-000.SafeTensors')

    const all = await scan({ allTypes: true })
    expect(all.models).toHaveLength(MODEL_COUNT_ALL_TYPES)
    const allNames = all.models.map((m) => m.entryId)
    expect(allNames).toEqual(
      expect.arrayContaining(['loras/sdxl/README.txt', 'docs/notes.md', 'vae/config.json']),
    )
    // The copy with no object beside it is an object like any other; the others stay folded.
    expect(allNames.filter((n) => n.endsWith('.tar.zst'))).toEqual(['archives/only-copy.safetensors.tar.zst'])

    const only = await scan({ extensions: ['GGUF'] })
    expect(only.models.map((m) => m.group)).toEqual(Array(20).fill('unet'))
  })

  it('folds <key>.tar.zst into its model whatever the page boundaries', async () => {
    for (const pageSize of [1, 2, 3, 5, 1000]) {
      const result = await scan({ uri: 's3://models/models/checkpoints/', pageSize })
      const flagged = result.models.filter((m) => m.hasCompressedSibling).map((m) => m.modelName)
      expect(flagged, `pageSize ${pageSize}`).toEqual(['big.safetensors', 'zz-last.ckpt'])
      expect(result.models).toHaveLength(42)
      // Scanning a group folder itself: its files sit directly under the source, in ROOT_GROUP.
      expect(result.models.find((m) => m.modelName === 'big.safetensors')!.localPath).toBe(
        join(root, 'big.safetensors'),
      )
    }
  })

  it('reports local state from stat: installed, different size, partial, missing', async () => {
    root = join(await temp.make('modeldl-scan-'), 'ComfyUI', 'models')
    const at = (rel: string) => join(root, rel)
    const put = async (rel: string, bytes: number) => {
      await mkdir(dirname(at(rel)), { recursive: true })
      await writeFile(at(rel), Buffer.alloc(bytes))
    }
    await put('vae/v-000.pt', fixtureSize('vae/v-000.pt'))
    await put('vae/v-001.pt', fixtureSize('vae/v-001.pt') + 1)
    await put('vae/v-002.pt.part', 3)
    await put('vae/v-003.pt.part', fixtureSize('vae/v-003.pt'))
    await writeFile(at('vae/v-003.pt.part.json'), JSON.stringify({ ranges: [[0, 10]] }))

    const { models } = await scan({ modelsRoot: root })
    const state = (name: string) => models.find((m) => m.modelName === name)!.local
    expect(state('v-000.pt')).toEqual({ state: 'installed' })
    expect(state('v-001.pt')).toEqual({ state: 'wrong_size', bytes: fixtureSize('vae/v-001.pt') + 1 })
    expect(state('v-002.pt')).toEqual({ state: 'partial', bytes: 0 })
    expect(state('v-003.pt')).toEqual({ state: 'partial', bytes: 10 })
    expect(state('v-004.pt')).toEqual({ state: 'missing' })
  })

  it('puts models under {{NETWORK_VOLUME}} when the models root uses the placeholder', async () => {
    const nv = await temp.make('modeldl-nv-')
    const { models } = await scan({
      uri: 's3://models/models/clip',
      modelsRoot: '{{NETWORK_VOLUME}}/ComfyUI/models',
      networkVolume: nv,
    })
    expect(models.map((m) => m.localPath).sort()).toEqual([
      join(nv, 'ComfyUI/models/clip_l.safetensors'),
      join(nv, 'ComfyUI/models/t5xxl_fp16.safetensors'),
    ])
  })

  it('reports the top-level folders from one delimited request before the first page', async () => {
    root = join(await temp.make('modeldl-scan-'), 'ComfyUI', 'models')
    const events: string[] = []
    let top: string[] = []
    const result = await scan({
      pageSize: 7,
      onFolders: (folders) => {
        top = folders
        events.push('folders')
      },
      onPage: () => void events.push('page'),
    })
    expect(events[0]).toBe('folders')
    expect(events.filter((e) => e === 'folders')).toHaveLength(1)
    // Only the first level (the delimiter stops at the first '/'), each also in the full result. s3rver
    // leaves out a folder that holds only folders (loras/): scan-keys.test.ts checks that case on a
    // listing that behaves as S3 does.
    const firstLevel = result.folders.filter((f) => !f.includes('/'))
    expect(top.length).toBeGreaterThan(0)
    for (const folder of top) expect(firstLevel).toContain(folder)
    expect(top).toEqual(firstLevel.filter((f) => f !== 'loras'))
  })

  it('stops with ScanError cancelled when the signal fires, between pages or before the first', async () => {
    const controller = new AbortController()
    let pages = 0
    const err = await scan({
      pageSize: 5,
      signal: controller.signal,
      onPage: () => {
        pages++
        if (pages === 2) controller.abort()
      },
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ScanError)
    expect((err as ScanError).code).toBe('cancelled')
    expect(pages).toBe(2)

    const already = AbortSignal.abort()
    await expect(scan({ signal: already })).rejects.toMatchObject({ code: 'cancelled' })
  })

  it('explains a bad URI and a missing bucket', async () => {
    for (const uri of ['models/', 'http://models/x/', 's3://', 's3://Bad_Bucket!/x/', 's3://models/a//b/']) {
      await expect(scan({ uri }), uri).rejects.toMatchObject({ name: 'ScanError', code: 'bad_uri' })
    }
    const err = (await scan({ uri: 's3://no-such-bucket/models/' }).catch((e: unknown) => e)) as ScanError
    expect(err.code).toBe('not_found')
    expect(err.message).toMatch(/bucket "no-such-bucket" does not exist/)
  })

  describe('through a fault proxy', () => {
    let proxy: FaultProxy
    beforeAll(async () => {
      proxy = await startFaultProxy(s3.endpoint)
    })
    afterAll(async () => proxy?.close())

    const viaProxy = async (rules: Parameters<FaultProxy['setRules']>[0], extra = {}) => {
      proxy.setRules(rules)
      proxy.resetLog()
      const client = s3.clientFor(proxy.url, { maxAttempts: 1 })
      try {
        return await scan({ client, uri: 's3://models/models/vae/', ...extra })
      } finally {
        client.destroy()
      }
    }

    it('no ListBucket permission: access_denied, saying so and offering a config file instead', async () => {
      const err = (await viaProxy([
        { match: { method: 'GET' }, fault: { kind: 'status', status: 403, code: 'AccessDenied' } },
      ]).catch((e: unknown) => e)) as ScanError
      expect(err).toBeInstanceOf(ScanError)
      expect(err.code).toBe('access_denied')
      expect(err.message).toMatch(/no s3:ListBucket permission/)
      expect(err.message).toMatch(/Load a model config file instead/)
      expect(proxy.requests).toHaveLength(1)
    })

    it('refused credentials are a credentials error, not a missing permission', async () => {
      await expect(
        viaProxy([
          { match: { method: 'GET' }, fault: { kind: 'status', status: 403, code: 'InvalidAccessKeyId' } },
        ]),
      ).rejects.toMatchObject({ code: 'credentials' })
    })

    it('retries a page that failed with a 5xx, and gives up as a network error after three tries', async () => {
      const ok = await viaProxy(
        [{ match: { method: 'GET' }, times: 1, fault: { kind: 'status', status: 503, code: 'SlowDown' } }],
        { pageSize: 10 },
      )
      expect(ok.models).toHaveLength(30)
      expect(proxy.requests.length).toBe(1 + Math.ceil(31 / 10))

      const err = (await viaProxy([
        { match: { method: 'GET' }, fault: { kind: 'status', status: 500, code: 'InternalError' } },
      ]).catch((e: unknown) => e)) as ScanError
      expect(err.code).toBe('network')
      expect(proxy.requests).toHaveLength(3)
    })
  })
})

describe('scanSource across a real 1000-key page', () => {
  let s3: TestS3Server
  const n = 1_150
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'bulk' })
    const keys = Array.from(
      { length: n },
      (_, i) => `group-${i % 3}/m-${String(i).padStart(5, '0')}.safetensors`,
    )
    keys.push('group-0/m-00999.safetensors.tar.zst')
    await seedFixture(s3, 'models/', keys)
  }, 120_000)
  afterAll(async () => s3?.close())
  afterEach(() => temp.cleanup())

  it('lists every key once over S3 default pages, the sibling folded', async () => {
    const root = await temp.make('modeldl-bulk-')
    const pages: ScannedModel[][] = []
    const result = await scanSource({
      client: s3.client,
      uri: 's3://bulk/models/',
      extensions: EXT,
      modelsRoot: root,
      onPage: (page) => void pages.push(page.models),
    })
    expect(pages).toHaveLength(2)
    expect(result.listed).toBe(n + 1)
    expect(result.models).toHaveLength(n)
    expect(new Set(result.models.map((m) => m.id)).size).toBe(n)
    expect(result.models.filter((m) => m.hasCompressedSibling).map((m) => m.entryId)).toEqual([
      'group-0/m-00999.safetensors',
    ])
  })
})
