// ServiceLink with the real core: the owner lock, DownloadService, the local socket, the built worker,
// s3rver, and for the takeover a real owner process (the built `modeldl serve`) that is SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { acquireOwnership, type OwnerLock } from '../../../../src/core/service/owner/owner-lock'
import type { OwnerContext } from '../../../../src/core/service/owner/owner-runtime'
import { ServiceError } from '../../../../src/core/service/owner/service-error'
import { ServiceLink, type LinkRole } from '../../../../src/core/service/owner/service-link'
import { TAKEOVER_BOUND_MS } from '../../../../src/core/service/owner/service-link-policy'
import { statePaths } from '../../../../src/core/service/state-paths'
import { RevisionFollower } from '../../../../src/shared/revision-follower'
import type { ServiceEvent, ServiceSnapshot } from '../../../../src/shared/service-contract'
import { DEFAULT_TUNING } from '../../../../src/shared/transfer'
import { builtWorkerEntry, CLI_BIN } from '../../../support/built'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../../../support/s3-server'
import { tempDirs } from '../../../support/temp'
import { exited } from './child-fixture'

const temp = tempDirs()
let s3: TestS3Server
const open: ServiceLink[] = []
const locks: OwnerLock[] = []
const children: ChildProcess[] = []

beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(() => s3.close())
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL')
    await exited(child)
  }
  await Promise.all(open.splice(0).map((c) => c.close()))
  await Promise.all(locks.splice(0).map((l) => l.release()))
  await temp.cleanup()
})

async function folders() {
  return { state: await temp.make('link-state-'), models: await temp.make('link-models-') }
}

function context(stateDir: string, modelsRoot: string): OwnerContext {
  return {
    paths: statePaths(stateDir, {}),
    env: {},
    modelsRoots: [modelsRoot],
    settings: {
      concurrency: 2,
      maxConnections: 16,
      maxAutoRetries: 0,
      compressedSiblings: false,
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, ...TEST_CREDENTIALS },
      tuning: { ...DEFAULT_TUNING, freeSpaceMarginBytes: 0 },
    },
  }
}

function logger() {
  return { info: vi.fn<(m: string) => void>(), warn: vi.fn<(m: string) => void>(), error: vi.fn() }
}

/** A link as the desktop app opens it: it may own the folder, and keeps trying when it cannot yet. */
async function appLink(ctx: OwnerContext, openTimeoutMs = 3_000) {
  const log = logger()
  const link = await ServiceLink.open({
    context: () => ctx,
    own: { kind: 'app', workerEntry: builtWorkerEntry() },
    openTimeoutMs,
    keepTrying: true,
    log,
  })
  open.push(link)
  return { link, log }
}

async function events(link: ServiceLink): Promise<ServiceEvent[]> {
  const seen: ServiceEvent[] = []
  await link.subscribe((e) => seen.push(e))
  return seen
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const entry = (models: string, name: string) => ({
  group: 'loras',
  modelName: name,
  s3Uri: `s3://${s3.bucket}/loras/${name}`,
  localPath: join(models, 'loras', name),
  expectedSize: 1024 * 1024,
})

/** `modeldl serve` of the built CLI owning `stateDir`: a real owner in another process. */
async function serveOwner(stateDir: string, models: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [CLI_BIN, 'serve', '--port', '0', '--home', stateDir, '--models-root', models],
    { env: { PATH: process.env['PATH'], HOME: stateDir, ...s3.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)))
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  expect(stderr).toContain('owns the queue')
  return child
}

describe('ServiceLink', () => {
  it('owns a free state folder and downloads through the owned service, with events', async () => {
    const { state, models } = await folders()
    const object = await s3.putRandom('loras/a.safetensors', 1024 * 1024)
    const { link } = await appLink(context(state, models))
    expect(link.role).toBe('owner')
    expect(link.ownerKind).toBe('app')
    const seen = await events(link)

    const localPath = join(models, 'loras', 'a.safetensors')
    await link.api.enqueue({ entries: [entry(models, 'a.safetensors')] })
    await until('the model to complete', async () => {
      const record = (await link.api.list()).find((r) => r.id === localPath)
      return record?.status === 'completed' ? record : undefined
    })
    expect(await readFile(localPath)).toEqual(object.body)
    const changed = seen.filter((e) => e.type === 'changed')
    expect(changed.some((e) => e.data.records.some((r) => r.status === 'completed'))).toBe(true)
    expect((await link.api.status()).owner).toMatchObject({ kind: 'app', pid: process.pid })
  })

  it('is a client of another owner over the socket, and takes over once that owner closes, faking no event', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const { link: first } = await appLink(ctx)
    const { link: second, log } = await appLink(ctx)
    expect(first.role).toBe('owner')
    expect(second.role).toBe('client')
    expect(second.ownerKind).toBe('app') // the other process is an app too
    const seen = await events(second)
    const switches: LinkRole[] = []
    second.onSwitch((role) => switches.push(role))

    // Calls go through the socket to the owner's queue, and its events come back.
    expect((await second.api.status()).owner?.pid).toBe(process.pid)
    await first.api.enqueue({ entries: [entry(models, 'b.safetensors')] })
    await first.api.pause({ all: true })
    await until('the events of the owner over the socket', () => (seen.length >= 2 ? true : undefined))
    expect(await second.api.list()).toEqual(await first.api.list())
    // A client cannot change the owner's settings: it says so instead.
    second.applySettings(ctx.settings)
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('keeps its own'))

    const before = seen.length
    const oldEpoch = (await first.api.snapshot()).epoch
    await first.close()
    await until('the client to take ownership', () => (second.role === 'owner' ? true : undefined))
    expect(switches).toEqual(['owner'])
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('went away'))
    // No made-up event at the switch: whatever comes next is the new owner's own, of its own epoch.
    expect(seen.slice(before).every((e) => e.data.epoch !== oldEpoch)).toBe(true)
    const snapshot = await second.api.snapshot()
    expect(snapshot.epoch).not.toBe(oldEpoch)
    expect(snapshot.records.map((r) => r.id)).toEqual([join(models, 'loras', 'b.safetensors')])
    expect((await second.api.status()).owner?.pid).toBe(process.pid)
  })

  it('waits when the folder is locked by someone who does not serve, and owns it once the lock is gone', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const lock = await acquireOwnership(ctx.paths, { kind: 'cli', onCompromised: () => {} })
    if (!lock) throw new Error('could not take the lock for the test')
    locks.push(lock)

    const { link, log } = await appLink(ctx, 600)
    expect(link.role).toBe('none')
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('retrying'))
    const refused = await link.api.list().then(
      () => null,
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(ServiceError)
    expect(refused).toMatchObject({ code: 'unavailable', message: expect.stringContaining('keeps trying') })

    await lock.release()
    await until('ownership', () => (link.role === 'owner' ? true : undefined), 5_000)
    expect(await link.api.list()).toEqual([])
  })

  it('a link that may not own reports no owner at once, and open() with a timeout rejects', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const startedAt = Date.now()
    await expect(ServiceLink.open({ context: () => ctx })).rejects.toMatchObject({ code: 'unavailable' })
    expect(Date.now() - startedAt).toBeLessThan(1_000)
  })

  it('releases the folder on close and refuses calls after it', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const { link } = await appLink(ctx)
    await link.close()
    await expect(link.api.list()).rejects.toMatchObject({
      code: 'unavailable',
      message: 'This process is shutting down',
    })
    // Free again: another process can own it.
    const again = await acquireOwnership(ctx.paths, { kind: 'cli', onCompromised: () => {} })
    expect(again).not.toBeNull()
    if (again) locks.push(again)
  })

  it('takes over within the policy bound when the owner process is SIGKILLed; a follower meets the new epoch by a snapshot', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const owner = await serveOwner(state, models)
    const { link, log } = await appLink(ctx, 5_000)
    expect(link.role).toBe('client')
    expect(link.ownerKind).toBe('serve')

    // A view following the queue through the link, as the window's store and `download --wait` do.
    const snapshots: ServiceSnapshot[] = []
    const follower = new RevisionFollower({
      snapshot: (s) => snapshots.push(s),
      changed: () => {},
      progress: () => {},
      fetchSnapshot: () => link.api.snapshot(),
    })
    await link.subscribe((e) => follower.push(e))
    await follower.start()
    const oldEpoch = snapshots[0]!.epoch
    expect((await link.api.status()).owner?.pid).toBe(owner.pid)

    const killedAt = Date.now()
    owner.kill('SIGKILL')
    await exited(owner)
    // Noticed from the socket closing, not from a poll: at once.
    await until('the link to notice', () => (link.role === 'none' ? true : undefined), 1_000)
    await until('the link to take over', () => (link.role === 'owner' ? true : undefined), 30_000)
    const tookMs = Date.now() - killedAt
    console.log(
      `ServiceLink took over ${tookMs} ms after its owner was SIGKILLed (bound ${TAKEOVER_BOUND_MS} ms + opening)`,
    )
    // The lock must go stale first; opening the queue comes on top of the bound.
    expect(tookMs).toBeLessThan(TAKEOVER_BOUND_MS + 3_000)
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('owns the queue'))

    // The subscription survived: the new owner's first event reaches the follower, which sees another
    // epoch and asks for a snapshot of it.
    await link.api.enqueue({ entries: [{ ...entry(models, 'c.safetensors'), s3Uri: 's3://nowhere/c' }] })
    await until('a snapshot of the new epoch', () => (snapshots.length >= 2 ? true : undefined), 5_000)
    const latest = snapshots.at(-1)!
    expect(latest.epoch).not.toBe(oldEpoch)
    expect(latest.epoch).toBe((await link.api.status()).epoch)
    expect(follower.position.epoch).toBe(latest.epoch)
    follower.stop()
  })
})
