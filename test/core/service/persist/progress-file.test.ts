import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import {
  progressFileContent,
  ProgressFileWriter,
  readProgressFile,
} from '../../../../src/core/service/persist/progress-file'
import type { ModelRecord } from '../../../../src/shared/service-contract'
import { tempDirs } from '../../../support/temp'
import { makeRecord } from './records'

const temp = tempDirs()
afterEach(() => temp.cleanup())

describe('progressFileContent', () => {
  it("follows the seed's schema: group, model name, five fields (and how a completed file was checked)", () => {
    const records = [
      makeRecord({
        localPath: '/m/sdxl/base.safetensors',
        modelName: 'base.safetensors',
        status: 'progress',
        downloaded: 400,
        totalSize: 5000,
        speedBps: 10,
        lastUpdated: '2025-07-14T10:30:45.123Z',
      }),
      makeRecord({ localPath: '/m/sdxl/vae.pt', modelName: 'vae.pt', status: 'paused', expectedSize: 77 }),
      makeRecord({
        localPath: '/m/flux/f.gguf',
        group: 'flux',
        modelName: 'f.gguf',
        status: 'completed',
        verifiedBy: ['size only'],
      }),
      makeRecord({
        localPath: '/m/flux/g.gguf',
        group: 'flux',
        modelName: 'g.gguf',
        status: 'completed',
        verifiedBy: ['sha256 from config', 'MD5 ETag'],
      }),
    ]
    expect(progressFileContent(records)).toStrictEqual({
      sdxl: {
        'base.safetensors': {
          totalSize: 5000,
          localPath: '/m/sdxl/base.safetensors',
          downloaded: 400,
          status: 'progress',
          lastUpdated: '2025-07-14T10:30:45.123Z',
        },
        // totalSize is 0 until the store answered: the expected size stands in.
        'vae.pt': {
          totalSize: 77,
          localPath: '/m/sdxl/vae.pt',
          downloaded: 0,
          status: 'paused',
          lastUpdated: '2025-07-14T10:00:00.000Z',
        },
      },
      flux: {
        'f.gguf': {
          totalSize: 1000,
          localPath: '/m/flux/f.gguf',
          downloaded: 0,
          status: 'completed',
          lastUpdated: '2025-07-14T10:00:00.000Z',
          verifiedBy: ['size only'],
        },
        'g.gguf': {
          totalSize: 1000,
          localPath: '/m/flux/g.gguf',
          downloaded: 0,
          status: 'completed',
          lastUpdated: '2025-07-14T10:00:00.000Z',
          verifiedBy: ['sha256 from config', 'MD5 ETag'],
        },
      },
    })
  })

  it('says "size only" for a completed record saved before verifiedBy was always set, and reads it back', async () => {
    const old = makeRecord({ localPath: '/m/a/x.pt', group: 'a', modelName: 'x.pt', status: 'completed' })
    expect(progressFileContent([{ ...old, verifiedBy: [] }])['a']!['x.pt']!.verifiedBy).toEqual(['size only'])
    const path = join(await temp.make(), 'progress.json')
    const writer = new ProgressFileWriter(path)
    writer.update([old])
    await writer.flush()
    expect((await readProgressFile(path))!['a']!['x.pt']!.verifiedBy).toEqual(['size only'])
  })

  it('keeps same-named models of one group apart, the first added keeping the plain name', () => {
    const later = makeRecord({
      localPath: '/b/g/m.bin',
      group: 'g',
      modelName: 'm.bin',
      createdAt: '2025-02',
    })
    const first = makeRecord({
      localPath: '/a/g/m.bin',
      group: 'g',
      modelName: 'm.bin',
      createdAt: '2025-01',
    })
    const third = makeRecord({
      localPath: '/c/g/m.bin',
      group: 'g',
      modelName: 'm.bin',
      createdAt: '2025-03',
    })
    const clash = makeRecord({ localPath: '/x/g/m.bin (2)', group: 'g', modelName: 'm.bin (2)' })
    const content = progressFileContent([later, third, clash, first])
    expect(Object.keys(content['g']!).sort()).toEqual(['m.bin', 'm.bin (2)', 'm.bin (3)', 'm.bin (4)'])
    expect(content['g']!['m.bin']!.localPath).toBe('/a/g/m.bin')
    expect(content['g']!['m.bin (2)']!.localPath).toBe('/x/g/m.bin (2)')
    expect(content['g']!['m.bin (3)']!.localPath).toBe('/b/g/m.bin')
    expect(content['g']!['m.bin (4)']!.localPath).toBe('/c/g/m.bin')
  })

  it('treats a group named __proto__ as a plain key', () => {
    const content = progressFileContent([makeRecord({ group: '__proto__' })])
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype)
    const parsed = JSON.parse(JSON.stringify(content)) as object
    const group = Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value as object
    expect(Object.keys(group)).toEqual(['model.safetensors'])
  })
})

function recordsAt(n: number, count = 1): ModelRecord[] {
  return Array.from({ length: count }, (_, i) =>
    makeRecord({ localPath: `/m/g/model-${i}.bin`, modelName: `model-${i}.bin`, downloaded: n }),
  )
}

describe('ProgressFileWriter', () => {
  it('creates the folder, writes the first update at once and reads back', async () => {
    const path = join(await temp.make(), 'a', 'b', 'progress.json')
    expect(await readProgressFile(path)).toBeNull()
    const writer = new ProgressFileWriter(path)
    writer.update(recordsAt(5))
    await writer.flush()
    expect(writer.writes).toBe(1)
    expect(await readProgressFile(path)).toEqual(progressFileContent(recordsAt(5)))
  })

  it('throttles many updates into few writes, and the last one lands without a flush', async () => {
    const path = join(await temp.make(), 'progress.json')
    const writer = new ProgressFileWriter(path, { minIntervalMs: 100 })
    const started = Date.now()
    let n = 0
    while (Date.now() - started < 500) {
      writer.update(recordsAt(++n))
      await sleep(5)
    }
    await sleep(250)
    expect(n).toBeGreaterThan(20)
    expect(writer.writes).toBeGreaterThanOrEqual(3)
    expect(writer.writes).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 100) + 1)
    const content = await readProgressFile(path)
    expect(content?.['sdxl']?.['model-0.bin']?.downloaded).toBe(n)
  })

  it('never lets a reader see half a file', async () => {
    const path = join(await temp.make(), 'progress.json')
    const writer = new ProgressFileWriter(path, { minIntervalMs: 0 })
    writer.update(recordsAt(0, 400))
    await writer.flush()
    let reading = true
    let reads = 0
    const reader = (async () => {
      while (reading) {
        JSON.parse(await readFile(path, 'utf8'))
        reads++
      }
    })()
    for (let i = 1; i <= 40; i++) {
      writer.update(recordsAt(i, 400))
      await sleep(2)
    }
    await writer.flush()
    reading = false
    await reader
    expect(reads).toBeGreaterThan(0)
    expect(writer.writes).toBeGreaterThan(2)
    expect((await readProgressFile(path))?.['sdxl']?.['model-399.bin']?.downloaded).toBe(40)
  })

  it('rejects a file that is not a progress file', async () => {
    const path = join(await temp.make(), 'progress.json')
    await writeFile(path, '{"g":{"m":{"totalSize":"big"}}}')
    await expect(readProgressFile(path)).rejects.toThrow(/not a progress file/)
    await writeFile(path, '{"g":')
    await expect(readProgressFile(path)).rejects.toThrow(/not valid JSON/)
  })

  it('reports a failed write from flush and tries again on the next update', async () => {
    const dir = await temp.make()
    await writeFile(join(dir, 'file'), '')
    const messages: string[] = []
    const writer = new ProgressFileWriter(join(dir, 'file', 'progress.json'), {
      log: (_level, msg) => messages.push(msg),
    })
    writer.update(recordsAt(1))
    await expect(writer.flush()).rejects.toThrow()
    expect(messages.length).toBeGreaterThan(0)
  })
})
