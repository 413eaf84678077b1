import type { ChildProcess } from 'node:child_process'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  LOCK_STALE_MS,
  acquireOwnership,
  isProcessAlive,
  readOwner,
  type OwnerLock,
} from '../../../../src/core/service/owner/owner-lock'
import { statePaths } from '../../../../src/core/service/state-paths'
import { tempDirs } from '../../../support/temp'
import { exited, forkFixture, nextMessage } from './child-fixture'

const temp = tempDirs()
const held: OwnerLock[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL')
    await exited(child)
  }
  await Promise.all(held.splice(0).map((lock) => lock.release()))
  await temp.cleanup()
})

async function acquire(dir: string, kind: 'app' | 'cli' = 'app'): Promise<OwnerLock | null> {
  const lock = await acquireOwnership(statePaths(dir), { kind, onCompromised: () => {} })
  if (lock) held.push(lock)
  return lock
}

describe('acquireOwnership in one process', () => {
  it('creates the state folder private to the user and names the owner in owner.json', async () => {
    const dir = join(await temp.make('owner-'), 'nested', 'state')
    const paths = statePaths(dir)
    const lock = await acquire(dir)
    expect(lock).not.toBeNull()
    if (process.platform !== 'win32') expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const written = JSON.parse(await readFile(paths.ownerFile, 'utf8')) as unknown
    expect(written).toEqual({
      pid: process.pid,
      kind: 'app',
      since: lock?.info.since,
      socket: paths.socketPath,
    })
    expect(await readOwner(paths)).toEqual(lock?.info)
  })

  it('refuses a second owner until the first releases', async () => {
    const dir = await temp.make('owner-')
    const paths = statePaths(dir)
    const first = await acquire(dir)
    expect(first).not.toBeNull()
    expect(await acquire(dir, 'cli')).toBeNull()

    await first?.release()
    await first?.release() // twice is fine
    expect(await readOwner(paths)).toBeNull()
    await expect(stat(paths.ownerFile)).rejects.toMatchObject({ code: 'ENOENT' })

    const second = await acquire(dir, 'cli')
    expect(second).not.toBeNull()
    expect((await readOwner(paths))?.kind).toBe('cli')
  })

  it('does not believe an owner.json without a live lock or a live process', async () => {
    const dir = await temp.make('owner-')
    const paths = statePaths(dir)
    const lines = JSON.stringify({ pid: process.pid, kind: 'app', since: 'x', socket: paths.socketPath })
    await writeFile(paths.ownerFile, lines) // left behind, no lock
    expect(await readOwner(paths)).toBeNull()

    await mkdir(join(dir, 'owner.lock')) // a fresh lock, but the pid in owner.json is gone
    await writeFile(
      paths.ownerFile,
      JSON.stringify({ pid: 2 ** 22 + 12345, kind: 'cli', since: 'x', socket: 's' }),
    )
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false)
    expect(await readOwner(paths)).toBeNull()

    await writeFile(paths.ownerFile, '{"pid": 1, "kin') // torn by some other tool
    expect(await readOwner(paths)).toBeNull()
    expect(await readOwner(statePaths(join(dir, 'absent')))).toBeNull()
  })

  it('reports a lost lock through `compromised` instead of crashing', async () => {
    const dir = await temp.make('owner-')
    const paths = statePaths(dir)
    const seen: Error[] = []
    const lock = await acquireOwnership(paths, { kind: 'app', onCompromised: (err) => seen.push(err) })
    expect(lock).not.toBeNull()
    await rm(join(dir, 'owner.lock'), { recursive: true })
    // Noticed at the next refresh of the lock (every LOCK_UPDATE_MS).
    const err = await lock?.compromised
    expect(err).toMatchObject({ code: 'ECOMPROMISED' })
    expect(seen).toHaveLength(1)
    const next = await acquire(dir, 'cli')
    expect(next).not.toBeNull()
    await lock?.release() // a no-op: it must not remove the new owner's files
    expect(await readOwner(paths)).toEqual(next?.info)
  })
})

describe('ownership across processes', () => {
  it('a child owns the folder; when it is SIGKILLed the parent takes over after the stale time', async () => {
    const dir = await temp.make('owner-')
    const paths = statePaths(dir)
    const child = forkFixture('hold-ownership.ts', [dir])
    children.push(child)
    const hello = await nextMessage<{ acquired: boolean; pid: number }>(child)
    expect(hello).toEqual({ acquired: true, pid: child.pid })

    expect(await acquire(dir)).toBeNull()
    expect(await readOwner(paths)).toMatchObject({ pid: child.pid, kind: 'daemon' })

    child.kill('SIGKILL')
    await exited(child)
    const killedAt = Date.now()
    // No busy loop: one attempt a second, bounded well past the stale time.
    let lock: OwnerLock | null = null
    while (!lock && Date.now() - killedAt < LOCK_STALE_MS + 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      lock = await acquire(dir, 'cli')
    }
    expect(lock).not.toBeNull()
    expect(Date.now() - killedAt).toBeLessThanOrEqual(LOCK_STALE_MS + 3_000)
    expect(await readOwner(paths)).toMatchObject({ pid: process.pid, kind: 'cli' })
  })

  it('a child that releases hands the folder over at once', async () => {
    const dir = await temp.make('owner-')
    const paths = statePaths(dir)
    expect(await acquire(dir)).not.toBeNull()
    const refused = forkFixture('hold-ownership.ts', [dir])
    children.push(refused)
    expect(await nextMessage(refused)).toEqual({ acquired: false, pid: refused.pid })
    await held.splice(0)[0]?.release()

    const child = forkFixture('hold-ownership.ts', [dir])
    children.push(child)
    expect(await nextMessage(child)).toEqual({ acquired: true, pid: child.pid })
    expect((await readOwner(paths))?.pid).toBe(child.pid)
    child.send('release')
    expect(await nextMessage(child)).toEqual({ released: true })
    expect(await readOwner(paths)).toBeNull()
    expect(await acquire(dir)).not.toBeNull()
  })
})
