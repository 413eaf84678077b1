import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadSidecar, saveSidecar, sidecarPath } from '../../src/core/transfer/sidecar'

describe('sidecar (resume data beside <final>.part)', () => {
  let dir: string
  let model: string
  const good = { s3Uri: 's3://models/flux.safetensors', etag: '"abc"', size: 100, ranges: [[0, 40]] }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modeldl-sidecar-'))
    model = join(dir, 'flux.safetensors')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('reads back what was saved, with its version and time', async () => {
    await saveSidecar(model, { ...good, ranges: [[0, 40]] })
    const raw = JSON.parse(await readFile(sidecarPath(model), 'utf8')) as Record<string, unknown>
    expect(raw['version']).toBe(1)
    expect(typeof raw['updatedAt']).toBe('string')
    expect(await loadSidecar(model)).toEqual(raw)
  })

  it('is absent when there is no file', async () => {
    expect(await loadSidecar(model)).toBeNull()
  })

  // A damaged sidecar means "start over", never an error and never a resume from wrong offsets.
  it.each([
    ['not JSON', '{"version":1'],
    ['another version', { ...good, version: 2, updatedAt: 'x' }],
    ['a negative size', { ...good, size: -1, version: 1, updatedAt: 'x' }],
    ['a fractional size', { ...good, size: 1.5, version: 1, updatedAt: 'x' }],
    ['a size as text', { ...good, size: '100', version: 1, updatedAt: 'x' }],
    ['a range with a negative end', { ...good, ranges: [[0, -4]], version: 1, updatedAt: 'x' }],
    ['a range of three numbers', { ...good, ranges: [[0, 4, 8]], version: 1, updatedAt: 'x' }],
    ['a fractional range start', { ...good, ranges: [[0.5, 4]], version: 1, updatedAt: 'x' }],
    ['no ETag', { s3Uri: good.s3Uri, size: 100, ranges: [], version: 1, updatedAt: 'x' }],
  ])('is ignored when it has %s', async (_what, content) => {
    await writeFile(sidecarPath(model), typeof content === 'string' ? content : JSON.stringify(content))
    expect(await loadSidecar(model)).toBeNull()
  })
})
