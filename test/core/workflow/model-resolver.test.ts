// Resolving a workflow's models against real files under a models root and a real S3 listing
// (scanSource against s3rver): installed, in S3 by folder or by file name alone, at a URL, nowhere.
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PathGate } from '../../../src/core/gate/path-gate'
import { scanSource } from '../../../src/core/scan/scan-source'
import { resolveWorkflowModels, type ResolveOptions } from '../../../src/core/workflow/model-resolver'
import { readWorkflowFile } from '../../../src/core/workflow/workflow-reader'
import type { ScannedModel } from '../../../src/shared/api-contract'
import { DEFAULT_MODEL_EXTENSIONS } from '../../../src/shared/settings'
import type { ResolvedWorkflowModel } from '../../../src/shared/workflow'
import { startS3Server, type TestS3Server } from '../../support/s3-server'
import { tempDirs } from '../../support/temp'

const FIXTURES = join(import.meta.dirname, '../../fixtures/workflows')
const MIRROR: Record<string, number> = {
  'vae/ae.safetensors': 3000,
  'loras/flux/detail.safetensors': 2000,
  'text_encoders/clip_l.safetensors': 1500,
  'text_encoders/t5xxl_fp16.safetensors': 2500,
  // Another folder than the workflow's: found by file name alone.
  'upscalers/4x-UltraSharp.pth': 1200,
  'facerestore_models/face/restore.onnx.pth': 900,
}

describe('resolveWorkflowModels (real files, s3rver listing)', () => {
  const temp = tempDirs()
  let s3: TestS3Server
  let root: string
  let listing: ScannedModel[]
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    for (const [key, size] of Object.entries(MIRROR)) await s3.putRandom(`mirror/${key}`, size)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    root = join(await temp.make('modeldl-resolve-'), 'ComfyUI', 'models')
    await mkdir(root, { recursive: true })
    const scanned = await scanSource({
      client: s3.client,
      uri: 's3://models/mirror/',
      extensions: DEFAULT_MODEL_EXTENSIONS,
      modelsRoot: root,
    })
    listing = scanned.models
  })
  afterEach(() => temp.cleanup())

  const place = async (rel: string, bytes: number) => {
    await mkdir(dirname(join(root, rel)), { recursive: true })
    await writeFile(join(root, rel), Buffer.alloc(bytes))
  }
  const resolve = async (fixture: string, extra: Partial<ResolveOptions> = {}) => {
    const { models } = await readWorkflowFile(join(FIXTURES, fixture))
    const resolved = await resolveWorkflowModels(models, {
      modelsRoot: root,
      gate: new PathGate([root]),
      listing,
      prefer: 's3',
      ...extra,
    })
    return new Map(resolved.map((m) => [m.name, m]))
  }
  const row = (m: ResolvedWorkflowModel | undefined) =>
    m && {
      state: m.state,
      folder: m.folder,
      size: m.size,
      localPath: m.localPath,
      s3: m.s3Uri,
      by: m.s3Match,
    }

  it('installed, in S3 by folder, by file name alone, only at a URL, nowhere; sizes where known', async () => {
    await place('clip/clip_l.safetensors', 1500) // ComfyUI's old name for text_encoders
    await place('vae/ae.safetensors', 10) // a truncated copy
    await place('loras/flux/detail.safetensors.part', 700)
    const r = await resolve('flux-template.json')

    expect(row(r.get('clip_l.safetensors'))).toEqual({
      state: 'installed',
      folder: 'text_encoders',
      size: 1500,
      localPath: join(root, 'clip/clip_l.safetensors'),
      s3: 's3://models/mirror/text_encoders/clip_l.safetensors',
      by: 'folder',
    })
    expect(row(r.get('ae.safetensors'))).toMatchObject({
      state: 's3',
      size: 3000,
      localPath: join(root, 'vae/ae.safetensors'),
    })
    expect(r.get('ae.safetensors')!.notes.join()).toMatch(/is 10 B, the S3 copy 3\.0 KB: it is replaced/)
    expect(row(r.get('flux/detail.safetensors'))).toMatchObject({
      state: 's3',
      localPath: join(root, 'loras/flux/detail.safetensors'),
      s3: 's3://models/mirror/loras/flux/detail.safetensors',
    })
    expect(r.get('flux/detail.safetensors')!.notes.join()).toMatch(/a partial download .* it resumes/)
    // Found by name under another folder; it still lands where ComfyUI looks for it.
    expect(row(r.get('4x-UltraSharp.pth'))).toEqual({
      state: 's3',
      folder: 'upscale_models',
      size: 1200,
      localPath: join(root, 'upscale_models/4x-UltraSharp.pth'),
      s3: 's3://models/mirror/upscalers/4x-UltraSharp.pth',
      by: 'name',
    })
    expect(r.get('4x-UltraSharp.pth')!.notes).toEqual([
      'matched by file name alone: s3://models/mirror/upscalers/4x-UltraSharp.pth',
    ])
    expect(row(r.get('flux1-dev.safetensors'))).toEqual({
      state: 'url',
      folder: 'diffusion_models',
      size: undefined,
      localPath: join(root, 'diffusion_models/flux1-dev.safetensors'),
      s3: undefined,
      by: undefined,
    })
    expect(row(r.get('adapters/fancy-v2.gguf'))).toMatchObject({ state: 'not_found', folder: 'unknown' })
    // In both: S3 unless the user prefers the URL.
    expect(r.get('t5xxl_fp16.safetensors')!.state).toBe('s3')
    const byUrl = await resolve('flux-template.json', { prefer: 'url' })
    expect(byUrl.get('t5xxl_fp16.safetensors')!.state).toBe('url')
    expect(byUrl.get('ae.safetensors')!.state).toBe('s3')
  })

  it('a model of an unknown folder: found on disk in any folder, or placed as the S3 source keeps it', async () => {
    const inS3 = await resolve('sdxl-api.json')
    expect(row(inS3.get('face/restore.onnx.pth'))).toEqual({
      state: 's3',
      folder: 'facerestore_models',
      size: 900,
      localPath: join(root, 'facerestore_models/face/restore.onnx.pth'),
      s3: 's3://models/mirror/facerestore_models/face/restore.onnx.pth',
      by: 'name',
    })
    await place('restorers/face/restore.onnx.pth', 5)
    const onDisk = await resolve('sdxl-api.json')
    expect(row(onDisk.get('face/restore.onnx.pth'))).toMatchObject({
      state: 'installed',
      folder: 'restorers',
      size: 5,
      localPath: join(root, 'restorers/face/restore.onnx.pth'),
    })
    expect(onDisk.get('face/restore.onnx.pth')!.notes.join()).toMatch(/found in restorers/)
    // Nothing for the rest of this workflow without a listing.
    const none = await resolve('sdxl-api.json', { listing: [] })
    expect([...none.values()].map((m) => m.state)).toEqual([
      'not_found',
      'not_found',
      'not_found',
      'installed',
    ])
  })

  it('never offers a path the gate refuses: a hostile name, a folder that links out of the models root', async () => {
    const outside = await temp.make('modeldl-outside-')
    await symlink(outside, join(root, 'upscale_models'))
    const r = await resolve('flux-template.json')
    expect(r.get('4x-UltraSharp.pth')!.state).toBe('not_found')
    expect(r.get('4x-UltraSharp.pth')!.notes.join()).toMatch(/never downloaded: .*outside the models roots/)

    const hostile = await resolve('hostile-names.json')
    const escape = hostile.get('../../../etc/passwd.safetensors')!
    expect(escape.state).toBe('not_found')
    expect(escape.localPath).toBeUndefined()
    expect(hostile.get('../../../etc/passwd.safetensors')!.notes.join()).toMatch(/never fetched/)
  })
})
