// The transfer's metadata calls answer the same whether made synchronously (while fast) or through
// the thread pool (after slow calls): a missing path is null, other errors are thrown with their code.
import { mkdir, open, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  lstatIfExists,
  markMetadataCallsSlow,
  renameFile,
  resetMetadataCalls,
  sizeOfOpenFile,
  statfsOf,
} from '../../../src/core/fs/metadata-calls'
import { makeTempDir, removeTempDir } from '../../support/temp'

let dir: string
beforeAll(async () => {
  dir = await makeTempDir('modeldl-metadata-')
})
afterAll(async () => removeTempDir(dir))
afterEach(() => resetMetadataCalls())

describe.each([
  ['synchronous', () => resetMetadataCalls()],
  ['thread pool (after slow calls)', () => markMetadataCallsSlow()],
])('metadata calls, %s', (mode, setMode) => {
  it('lstat: a file, a link (not followed), nothing, and a path through a file', async () => {
    setMode()
    const base = join(dir, mode.replace(/\W+/g, '-'))
    await mkdir(base, { recursive: true })
    await writeFile(join(base, 'f'), 'abc')
    expect((await lstatIfExists(join(base, 'f')))?.size).toBe(3)
    expect(await lstatIfExists(join(base, 'missing'))).toBeNull()
    await expect(lstatIfExists(join(base, 'f', 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' })
  })

  it('statfs, the size of an open file, rename', async () => {
    setMode()
    const base = join(dir, `${mode.replace(/\W+/g, '-')}-2`)
    await mkdir(base, { recursive: true })
    expect((await statfsOf(base)).bsize).toBeGreaterThan(0)
    await expect(statfsOf(join(base, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' })
    const fh = await open(join(base, 'a.part'), 'w+')
    await fh.write(Buffer.alloc(1234))
    expect(await sizeOfOpenFile(fh)).toBe(1234)
    await fh.close()
    await renameFile(join(base, 'a.part'), join(base, 'a'))
    expect(existsSync(join(base, 'a'))).toBe(true)
    await expect(renameFile(join(base, 'a.part'), join(base, 'b'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
