// ServiceConnection with the real core: owner lock, DownloadService, the local socket, the built worker
// under child_process.fork and s3rver. No electron involved (the class is plain Node by design).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { acquireOwnership, type OwnerLock } from '../../src/core/service/owner/owner-lock'
import type { OwnerContext } from '../../src/core/service/owner/owner-runtime'
import { ServiceError } from '../../src/core/service/owner/service-error'
import { statePaths } from '../../src/core/service/state-paths'
import { ServiceConnection } from '../../src/main/service-connection'
import type { ServiceEvent } from '../../src/shared/service-contract'
import { DEFAULT_TUNING } from '../../src/shared/transfer'
import { builtWorkerEntry } from '../support/built'
import { startS3Server, TEST_CREDENTIALS, type TestS3Server } from '../support/s3-server'
import { tempDirs } from '../support/temp'

const temp = tempDirs()
let s3: TestS3Server
const open: ServiceConnection[] = []
const locks: OwnerLock[] = []

beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(() => s3.close())
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  await Promise.all(locks.splice(0).map((l) => l.release()))
  await temp.cleanup()
})

async function folders() {
  return { state: await temp.make('conn-state-'), models: await temp.make('conn-models-') }
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

async function connect(ctx: OwnerContext, options: { retryMs?: number; openTimeoutMs?: number } = {}) {
  const log = logger()
  const connection = await ServiceConnection.open({
    ownerContext: () => ctx,
    workerEntry: builtWorkerEntry(),
    log,
    retryMs: options.retryMs ?? 200,
    openTimeoutMs: options.openTimeoutMs ?? 3_000,
  })
  open.push(connection)
  return { connection, log }
}

function events(connection: ServiceConnection): ServiceEvent[] {
  const seen: ServiceEvent[] = []
  connection.subscribe((e) => seen.push(e))
  return seen
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('ServiceConnection', () => {
  it('owns a free state folder and downloads through the owned service, with events', async () => {
    const { state, models } = await folders()
    const object = await s3.putRandom('loras/a.safetensors', 1024 * 1024)
    const { connection } = await connect(context(state, models))
    expect(connection.role).toBe('owner')
    expect(connection.ownerKind).toBe('app')
    const seen = events(connection)

    const localPath = join(models, 'loras', 'a.safetensors')
    await connection.api.enqueue({
      entries: [
        {
          group: 'loras',
          modelName: 'a.safetensors',
          s3Uri: `s3://${s3.bucket}/loras/a.safetensors`,
          localPath,
          expectedSize: 1024 * 1024,
        },
      ],
    })
    await until('the model to complete', async () => {
      const record = (await connection.api.list()).find((r) => r.id === localPath)
      return record?.status === 'completed' ? record : undefined
    })
    expect(await readFile(localPath)).toEqual(object.body)
    const changed = seen.filter((e) => e.type === 'changed')
    expect(changed.some((e) => e.data.records.some((r) => r.status === 'completed'))).toBe(true)
    expect((await connection.api.status()).owner).toMatchObject({ kind: 'app', pid: process.pid })
  })

  it('is a client of another owner over the socket, and takes over once that owner is gone', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const { connection: first } = await connect(ctx)
    const { connection: second, log } = await connect(ctx)
    expect(first.role).toBe('owner')
    expect(second.role).toBe('client')
    expect(second.ownerKind).toBe('app') // the other process is an app too
    const seen = events(second)

    // Calls go through the socket to the owner's queue.
    const status = await second.api.status()
    expect(status.owner?.pid).toBe(process.pid)
    expect(await second.api.list()).toEqual(await first.api.list())
    await second.api.pause({ all: true })
    // A client cannot change the owner's settings: it says so instead.
    second.applySettings(ctx.settings)
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('keeps its own'))

    await first.close()
    await until('the client to take ownership', () => (second.role === 'owner' ? true : undefined))
    expect(second.ownerKind).toBe('app')
    expect(log.info).toHaveBeenCalledWith('The previous owner is gone: the app owns the state folder now')
    // The windows are resynced with one change event after the switch.
    await until('a resync event', () => (seen.some((e) => e.type === 'changed') ? true : undefined))
    expect((await second.api.status()).owner?.pid).toBe(process.pid)
  })

  it('waits when the folder is locked by someone who does not serve, and owns it once the lock is gone', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const lock = await acquireOwnership(ctx.paths, { kind: 'cli', onCompromised: () => {} })
    if (!lock) throw new Error('could not take the lock for the test')
    locks.push(lock)

    const { connection, log } = await connect(ctx, { openTimeoutMs: 600 })
    expect(connection.role).toBe('none')
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('retrying'))
    const refused = await connection.api.list().then(
      () => null,
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(ServiceError)
    expect(refused).toMatchObject({ code: 'unavailable', message: expect.stringContaining('keeps trying') })

    await lock.release()
    await until('ownership', () => (connection.role === 'owner' ? true : undefined))
    expect(await connection.api.list()).toEqual([])
  })

  it('releases the folder on close and refuses calls after it', async () => {
    const { state, models } = await folders()
    const ctx = context(state, models)
    const { connection } = await connect(ctx)
    await connection.close()
    await expect(connection.api.list()).rejects.toMatchObject({
      code: 'unavailable',
      message: 'The app is shutting down',
    })
    // Free again: another process can own it.
    const again = await acquireOwnership(ctx.paths, { kind: 'cli', onCompromised: () => {} })
    expect(again).not.toBeNull()
    if (again) locks.push(again)
  })
})
