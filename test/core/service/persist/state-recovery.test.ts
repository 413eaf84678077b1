// What load() tells its caller about a recovery, the read-only check the CLI uses, and the notice an
// owner gives its users (describeRecovery): the parts of issue 17 that live in the store.
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  describeRecovery,
  readStateFile,
  StateStore,
  type LoadResult,
  type PersistedState,
} from '../../../../src/core/service/persist/state-store'
import { tempDirs } from '../../../support/temp'
import { makeRecord } from './records'

const temp = tempDirs()
afterEach(() => temp.cleanup())

function stateWith(...names: string[]): PersistedState {
  const records = names.map((n) => makeRecord({ id: `/models/g/${n}`, modelName: n }))
  return { version: 1, queue: records.map((r) => r.id), records }
}

const BACKUP_TIME = new Date('2026-01-02T03:04:05.000Z')

describe('StateStore.load: what it recovered from', () => {
  it('restored from the backup: the damage, where the damaged file was kept, and when the backup was written', async () => {
    const dir = await temp.make()
    const path = join(dir, 'state.json')
    await writeFile(`${path}.bak`, JSON.stringify(stateWith('one')))
    await utimes(`${path}.bak`, BACKUP_TIME, BACKUP_TIME)
    await writeFile(path, '{"version":1,"queue":[')

    const result = await new StateStore(path).load()
    expect(result.recovered).toBe('backup')
    expect(result.backupTime).toBe(BACKUP_TIME.toISOString())
    expect(result.damage).toEqual({ reason: 'not valid JSON', keptAt: expect.stringContaining('.corrupt-') })
    expect(await readFile(result.damage!.keptAt!, 'utf8')).toBe('{"version":1,"queue":[')
  })

  it('neither copy usable: the damage of both', async () => {
    const dir = await temp.make()
    const path = join(dir, 'state.json')
    await writeFile(path, '{"version":1,"queue":{},"records":[]}')
    await writeFile(`${path}.bak`, 'not json')

    const result = await new StateStore(path).load()
    expect(result.recovered).toBe('rebuilt')
    expect(result.damage).toEqual({
      reason: expect.stringMatching(/^unexpected content at queue/),
      keptAt: expect.stringContaining('state.json.corrupt-'),
      backupReason: 'not valid JSON',
    })
    expect(result.backupTime).toBeUndefined()
  })

  it('a good or absent file reports no damage', async () => {
    const path = join(await temp.make(), 'state.json')
    expect((await new StateStore(path).load()).damage).toBeUndefined()
    await new StateStore(path).save(stateWith('one'))
    expect((await new StateStore(path).load()).damage).toBeUndefined()
  })
})

describe('readStateFile (the check a read-only command makes)', () => {
  it('tells good, missing and damaged apart without touching the file', async () => {
    const dir = await temp.make()
    const path = join(dir, 'state.json')
    expect(await readStateFile(path)).toEqual({ kind: 'missing' })

    await writeFile(path, JSON.stringify(stateWith('one')))
    expect(await readStateFile(path)).toEqual({ kind: 'ok', state: stateWith('one') })

    // The wrong shape is damage by the owner's schema, not only "not JSON".
    const wrong = '{"version":1,"queue":[],"records":[{"id":5}]}'
    await writeFile(path, wrong)
    expect(await readStateFile(path)).toMatchObject({ kind: 'bad', reason: /records\.0\.id/ })
    expect(await readFile(path, 'utf8')).toBe(wrong)
  })

  it('a file that cannot be read at all carries its error code', async () => {
    const dir = await temp.make()
    await mkdir(join(dir, 'state.json'))
    expect(await readStateFile(join(dir, 'state.json'))).toMatchObject({ kind: 'bad', code: 'EISDIR' })
    await writeFile(join(dir, 'file'), '')
    expect(await readStateFile(join(dir, 'file', 'state.json'))).toMatchObject({
      kind: 'bad',
      code: 'ENOTDIR',
    })
  })
})

describe('describeRecovery (the notice an owner gives)', () => {
  const path = '/state/state.json'
  const now = new Date('2026-02-03T04:05:06.000Z')
  const damaged = (recovered: LoadResult['recovered'], extra: Partial<LoadResult> = {}): LoadResult => ({
    state: stateWith(),
    recovered,
    damage: { reason: 'not valid JSON', keptAt: '/state/state.json.corrupt-x' },
    ...extra,
  })

  it('says nothing when nothing was recovered', () => {
    expect(describeRecovery({ state: stateWith(), recovered: 'none' }, path)).toBeUndefined()
    expect(describeRecovery({ state: stateWith(), recovered: 'fresh' }, path)).toBeUndefined()
  })

  it('restored from the backup: its time, and where the damaged file is', () => {
    const r = describeRecovery(damaged('backup', { backupTime: BACKUP_TIME.toISOString() }), path, 0, now)
    expect(r).toMatchObject({
      from: 'backup',
      reason: 'not valid JSON',
      keptAt: '/state/state.json.corrupt-x',
      backupTime: BACKUP_TIME.toISOString(),
      at: now.toISOString(),
    })
    expect(r!.message).toBe(
      '/state/state.json was damaged (not valid JSON); restored the queue from state.json.bak ' +
        '(saved 2026-01-02 03:04:05 UTC).\nThe damaged file is kept at /state/state.json.corrupt-x.',
    )
  })

  it('rebuilt from the sidecars: how many', () => {
    const r = describeRecovery(damaged('rebuilt'), path, 2, now)
    expect(r).toMatchObject({ from: 'sidecars', rebuilt: 2 })
    expect(r!.message).toMatch(
      /there was no backup; rebuilt the queue from the \.part\.json files .*: 2 paused/,
    )
    expect(r!.message.split('\n')).toHaveLength(2)
  })

  it('started empty: where the damaged file was kept, or that it could not be moved', () => {
    const withBadBackup = damaged('rebuilt', {
      damage: { reason: 'empty file', keptAt: null, backupReason: 'not valid JSON' },
    })
    const r = describeRecovery(withBadBackup, path, 0, now)
    expect(r).toMatchObject({ from: 'empty', keptAt: null })
    expect(r!.message).toMatch(/its backup was damaged too \(not valid JSON\).*the queue starts empty/)
    expect(r!.message).toMatch(/could not be moved aside/)
    expect(describeRecovery(damaged('rebuilt'), path)!.message).toMatch(
      /kept at \/state\/state\.json\.corrupt-x/,
    )
  })
})
