import { createHash } from 'node:crypto'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { localState } from '../../../../src/core/service/local/install-state'
import { makeTempDir, removeTempDir } from '../../../support/temp'

const SIZE = 3000
const content = Buffer.alloc(SIZE, 7)
const sha256 = createHash('sha256').update(content).digest('hex')

describe('localState', () => {
  let dir: string
  let model: string
  beforeEach(async () => {
    dir = await makeTempDir('install-state-')
    model = join(dir, 'checkpoints', 'model.safetensors')
    await mkdir(join(dir, 'checkpoints'))
  })
  afterEach(() => removeTempDir(dir))

  it('is installed when a file of the expected size is there', async () => {
    await writeFile(model, content)
    expect(await localState(model, SIZE)).toEqual({ kind: 'installed' })
  })

  it('is missing when nothing is there, also when a parent folder is missing', async () => {
    expect(await localState(model, SIZE)).toEqual({ kind: 'missing' })
    expect(await localState(join(dir, 'nope', 'model.bin'), SIZE)).toEqual({ kind: 'missing' })
  })

  it('counts a truncated file as wrong_size, not installed (the old missing mode did)', async () => {
    await writeFile(model, content.subarray(0, 1000))
    expect(await localState(model, SIZE)).toEqual({ kind: 'wrong_size', size: 1000 })
  })

  it('does not read the file unless asked to verify it', async () => {
    await writeFile(model, Buffer.alloc(SIZE, 8))
    expect(await localState(model, SIZE, { sha256 })).toEqual({ kind: 'installed' })
    expect(await localState(model, SIZE, { verify: true })).toEqual({ kind: 'installed' })
  })

  it('verify catches a file of the right size with other bytes', async () => {
    const other = Buffer.alloc(SIZE, 8)
    await writeFile(model, other)
    const actual = createHash('sha256').update(other).digest('hex')
    expect(await localState(model, SIZE, { sha256, verify: true })).toEqual({
      kind: 'checksum_mismatch',
      actual,
    })
  })

  it('verify accepts the right bytes, across several 1 MiB reads, and an upper-case checksum', async () => {
    const big = Buffer.alloc((1 << 20) * 2 + 5, 3)
    await writeFile(model, big)
    const expected = createHash('sha256').update(big).digest('hex').toUpperCase()
    expect(await localState(model, big.length, { sha256: expected, verify: true })).toEqual({
      kind: 'installed',
    })
  })

  it('stops verifying when the signal is aborted', async () => {
    await writeFile(model, content)
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(
      localState(model, SIZE, { sha256, verify: true, signal: controller.signal }),
    ).rejects.toThrow('stop')
  })

  it('counts a symlink to a complete file as installed', async () => {
    const target = join(dir, 'text_encoders', 'clip.safetensors')
    await mkdir(join(dir, 'text_encoders'))
    await writeFile(target, content)
    await symlink(target, model)
    expect(await localState(model, SIZE, { sha256, verify: true })).toEqual({ kind: 'installed' })
  })

  it('reports a broken link with its target', async () => {
    await symlink('../gone/clip.safetensors', model)
    expect(await localState(model, SIZE)).toEqual({ kind: 'broken_link', target: '../gone/clip.safetensors' })
  })

  it('reports a link loop as a broken link', async () => {
    await symlink('model.safetensors', model)
    expect(await localState(model, SIZE)).toEqual({ kind: 'broken_link', target: 'model.safetensors' })
  })

  it('reports a directory, or something else, as not_a_file', async () => {
    await mkdir(model)
    expect(await localState(model, SIZE)).toEqual({ kind: 'not_a_file', what: 'directory' })
    expect(await localState('/dev/null', SIZE)).toEqual({ kind: 'not_a_file', what: 'other' })
  })

  it('is partial when only .part is there, counting the sidecar ranges', async () => {
    await writeFile(`${model}.part`, Buffer.alloc(SIZE))
    await writeFile(
      `${model}.part.json`,
      JSON.stringify({
        version: 1,
        ranges: [
          [0, 100],
          [50, 200],
          [1000, 1500],
        ],
      }),
    )
    expect(await localState(model, SIZE)).toEqual({ kind: 'partial', bytes: 700 })
  })

  it('is partial with no resumable bytes when the sidecar is missing or damaged', async () => {
    // The worker preallocates .part and starts over without a sidecar: its size promises nothing.
    await writeFile(`${model}.part`, Buffer.alloc(SIZE))
    expect(await localState(model, SIZE)).toEqual({ kind: 'partial', bytes: 0 })
    await writeFile(`${model}.part.json`, '{"ranges": [[0, ')
    expect(await localState(model, SIZE)).toEqual({ kind: 'partial', bytes: 0 })
  })

  it('judges the file, not a leftover .part, when the file is there', async () => {
    await writeFile(model, content)
    await writeFile(`${model}.part`, Buffer.alloc(10))
    expect(await localState(model, SIZE)).toEqual({ kind: 'installed' })
  })
})
