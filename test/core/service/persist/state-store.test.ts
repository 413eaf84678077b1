import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { emptyState, StateStore, type PersistedState } from '../../../../src/core/service/persist/state-store'
import { rebuildFromDisk } from '../../../../src/core/service/persist/rebuild-from-disk'
import type { LogLevel } from '../../../../src/core/service/persist/log'
import { saveSidecar } from '../../../../src/core/transfer/sidecar'
import { fileExists, tempDirs } from '../../../support/temp'
import { makeRecord } from './records'

const temp = tempDirs()
afterEach(() => temp.cleanup())

function stateWith(...names: string[]): PersistedState {
  const records = names.map((n) => makeRecord({ id: `/models/g/${n}`, modelName: n }))
  return { version: 1, queue: records.map((r) => r.id), records }
}

function recordingLog(): { lines: Array<[LogLevel, string]>; log: (level: LogLevel, msg: string) => void } {
  const lines: Array<[LogLevel, string]> = []
  return { lines, log: (level, msg) => lines.push([level, msg]) }
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'))
}

async function corruptFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.includes('.corrupt-')).sort()
}

describe('StateStore', () => {
  it('starts fresh without a file, then round-trips what it saved', async () => {
    const dir = await temp.make()
    const path = join(dir, 'nested', 'state.json')
    expect(await new StateStore(path).load()).toEqual({ state: emptyState(), recovered: 'fresh' })

    const state = stateWith('a.safetensors', 'b.safetensors')
    state.records[0]!.status = 'progress'
    state.records[0]!.phase = 'fetching'
    state.records[1]!.sha256 = 'ab'.repeat(32)
    await new StateStore(path).save(state)

    const loaded = await new StateStore(path).load()
    expect(loaded.recovered).toBe('none')
    expect(loaded.state).toEqual(state)
    // The store leaves `progress` as it was: resuming is the service's decision.
    expect(loaded.state.records[0]!.status).toBe('progress')
  })

  it('keeps the previous file as .bak', async () => {
    const path = join(await temp.make(), 'state.json')
    const store = new StateStore(path)
    await store.save(stateWith('one'))
    expect(await fileExists(`${path}.bak`)).toBe(false)
    await store.save(stateWith('two'))
    await store.save(stateWith('three'))
    expect(await readJson(path)).toEqual(stateWith('three'))
    expect(await readJson(`${path}.bak`)).toEqual(stateWith('two'))
  })

  it('moves a damaged file aside and recovers from the backup', async () => {
    const dir = await temp.make()
    const path = join(dir, 'state.json')
    const store = new StateStore(path)
    await store.save(stateWith('one'))
    await store.save(stateWith('two'))
    await writeFile(path, '{"version":1,"queue":["/models/g/tw')

    const { lines, log } = recordingLog()
    const result = await new StateStore(path, { log }).load()
    expect(result.recovered).toBe('backup')
    expect(result.state).toEqual(stateWith('one'))
    expect(result.note).toMatch(/damaged \(not valid JSON\)/)

    const aside = await corruptFiles(dir)
    expect(aside).toHaveLength(1)
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe('{"version":1,"queue":["/models/g/tw')
    expect(lines.some(([level, msg]) => level === 'error' && msg.includes(join(dir, aside[0]!)))).toBe(true)
    // The good copy is back in place, so a crash now still finds a state file.
    expect(await readJson(path)).toEqual(stateWith('one'))
    expect((await new StateStore(path).load()).recovered).toBe('none')
  })

  it('treats content that does not match the schema as damaged', async () => {
    const path = join(await temp.make(), 'state.json')
    await new StateStore(path).save(stateWith('one'))
    await new StateStore(path).save(stateWith('two'))
    const bad = stateWith('two') as unknown as { records: Array<Record<string, unknown>> }
    bad.records[0]!['status'] = 'downloading'
    await writeFile(path, JSON.stringify(bad))

    const result = await new StateStore(path).load()
    expect(result.recovered).toBe('backup')
    expect(result.note).toMatch(/records\.0\.status/)
  })

  it('rebuilds from the partial downloads on disk when both copies are damaged', async () => {
    const dir = await temp.make()
    const models = await temp.make('models-')
    const path = join(dir, 'state.json')
    await writeFile(path, '')
    await writeFile(`${path}.bak`, '{"version":2,"queue":[],"records":[]}')

    const result = await new StateStore(path).load()
    expect(result).toMatchObject({ state: emptyState(), recovered: 'rebuilt' })
    expect(result.note).toMatch(/empty file.*newer version/)
    expect(await corruptFiles(dir)).toEqual([
      expect.stringMatching(/^state\.json\.bak\.corrupt-/),
      expect.stringMatching(/^state\.json\.corrupt-/),
    ])

    const flux = join(models, 'flux', 'flux1-dev.safetensors')
    const vae = join(models, 'flux', 'vae', 'ae.safetensors')
    await mkdir(join(models, 'flux', 'vae'), { recursive: true })
    await saveSidecar(flux, {
      s3Uri: 's3://b/flux1-dev',
      etag: '"e1"',
      size: 5000,
      ranges: [
        [0, 1000],
        [2000, 2500],
      ],
    })
    await writeFile(`${flux}.part`, '')
    // No .part beside this sidecar: nothing of it is on disk any more.
    await saveSidecar(vae, { s3Uri: 's3://b/ae', etag: '"e2"', size: 300, ranges: [[0, 100]] })
    // A damaged sidecar is skipped.
    await writeFile(join(models, 'flux', 'broken.bin.part.json'), '{"version":1')

    const records = await rebuildFromDisk([models, join(models, 'flux')])
    expect(records).toHaveLength(2)
    expect(records[0]).toMatchObject({
      id: flux,
      localPath: flux,
      group: 'flux',
      modelName: 'flux1-dev.safetensors',
      s3Uri: 's3://b/flux1-dev',
      expectedSize: 5000,
      totalSize: 5000,
      downloaded: 1500,
      status: 'paused',
    })
    expect(records[1]).toMatchObject({ id: vae, group: 'vae', modelName: 'ae.safetensors', downloaded: 0 })
    // Records made this way pass the store's own schema.
    await new StateStore(path).save({ version: 1, queue: records.map((r) => r.id), records })
    expect((await new StateStore(path).load()).state.records).toEqual(records)

    expect(await rebuildFromDisk([models], { maxDepth: 1 })).toEqual([])
    expect(await rebuildFromDisk([join(models, 'missing')])).toEqual([])
  })

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)(
    'skips folders it cannot read while rebuilding',
    async () => {
      const models = await temp.make('models-')
      await mkdir(join(models, 'locked'))
      await mkdir(join(models, 'open'))
      await saveSidecar(join(models, 'locked', 'a.bin'), {
        s3Uri: 's3://b/a',
        etag: 'e',
        size: 1,
        ranges: [],
      })
      await saveSidecar(join(models, 'open', 'b.bin'), { s3Uri: 's3://b/b', etag: 'e', size: 1, ranges: [] })
      await chmod(join(models, 'locked'), 0o000)
      try {
        expect((await rebuildFromDisk([models])).map((r) => r.modelName)).toEqual(['b.bin'])
      } finally {
        await chmod(join(models, 'locked'), 0o755)
      }
    },
  )

  it('coalesces saves: one write in flight, the latest state wins', async () => {
    const path = join(await temp.make(), 'state.json')
    const store = new StateStore(path)
    const saves: Array<Promise<void>> = []
    for (let i = 1; i <= 50; i++) saves.push(store.save(stateWith(`m${i}`)))
    await Promise.all(saves)
    await store.flush()
    expect(await readJson(path)).toEqual(stateWith('m50'))
    // Only two writes happened: the first, then the latest (which backed the first up).
    expect(await readJson(`${path}.bak`)).toEqual(stateWith('m1'))
  })

  it('ignores a temp file left by a crash mid-write and removes it once its writer is gone', async () => {
    const dir = await temp.make()
    const path = join(dir, 'state.json')
    const deadPid = 2 ** 31 - 2
    const stale = join(dir, `state.json.tmp-${deadPid}-0badf00d`)
    const ours = join(dir, `state.json.tmp-${process.pid}-00000000`)

    await writeFile(stale, '{"version":1,"queue":["half')
    expect((await new StateStore(path).load()).recovered).toBe('fresh')

    await new StateStore(path).save(stateWith('one'))
    await writeFile(ours, '{"version":1,"queue":["half')
    const result = await new StateStore(path).load()
    expect(result).toEqual({ state: stateWith('one'), recovered: 'none' })
    expect(await fileExists(stale)).toBe(false)
    expect(await fileExists(ours)).toBe(true)
  })

  it('tolerates unknown fields and drops dangling queue entries', async () => {
    const path = join(await temp.make(), 'state.json')
    const state = stateWith('a')
    const onDisk = {
      ...state,
      future: true,
      queue: [...state.queue, '/gone', state.queue[0]],
      records: state.records.map((r) => ({ ...r, someNewField: 1, speedBps: null })),
    }
    await writeFile(path, JSON.stringify(onDisk))
    expect(await new StateStore(path).load()).toEqual({ state, recovered: 'none' })
  })

  it('reports a failed save without an unhandled rejection', async () => {
    const dir = await temp.make()
    await writeFile(join(dir, 'file'), '')
    const { lines, log } = recordingLog()
    const store = new StateStore(join(dir, 'file', 'state.json'), { log })
    void store.save(stateWith('a'))
    await expect(store.save(stateWith('b'))).rejects.toThrow()
    await expect(store.flush()).rejects.toThrow()
    expect(lines.some(([level]) => level === 'error')).toBe(true)
  })
})
