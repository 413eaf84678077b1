// The gate through the real WebSocket of the real `modeldl serve`: what the attacker of issue 17 did
// from a browser (enqueue, save, open and stat outside the models root, a root of "/") is refused by
// the service with a message that names the field, and nothing is queued, written or revealed.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { invokeOver, startServe, type ServeProcess } from '../support/serve-process'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

let s3: TestS3Server
let work: string
let root: string
let outside: string
let serve: ServeProcess
let ws: WebSocket
let nextId = 1

const call = (channel: string, request?: unknown) => invokeOver(ws, nextId++, channel, request)

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  work = await makeTempDir('modeldl-serve-gate-')
  root = join(work, 'models')
  outside = join(work, 'outside')
  await mkdir(join(root, 'loras'), { recursive: true })
  await mkdir(outside)
  serve = await startServe({
    PATH: process.env['PATH'],
    HOME: work,
    ...s3.env,
    MODELDL_HOME: join(work, 'home'),
    MODELDL_MODELS_ROOT: root,
  })
  ws = await serve.socket()
}, 60_000)

afterAll(async () => {
  ws?.close()
  await serve?.stop()
  await s3?.close()
  await removeTempDir(work)
})

const entry = (localPath: string, extra: Record<string, string> = {}) => ({
  group: 'loras',
  modelName: 'x.safetensors',
  s3Uri: 's3://models/loras/x.safetensors',
  localPath,
  expectedSize: 1,
  ...extra,
})

describe('modeldl serve: the window cannot go around the models root', () => {
  it('downloads:enqueue outside the root, or linking over a file outside it, queues nothing', async () => {
    const victim = join(outside, 'victim.txt')
    await writeFile(victim, 'keep me')
    await symlink(outside, join(root, 'escape'))
    for (const entries of [
      [entry(join(outside, 'x.safetensors'))],
      [entry(join(root, 'loras', 'a.safetensors')), entry(victim)],
      [entry(join(root, 'loras', 'b.safetensors'), { symLinkedFrom: victim })],
      [entry(join(root, 'escape', 'x.safetensors'))],
    ]) {
      const answer = await call('downloads:enqueue', { entries })
      expect(answer.result, JSON.stringify(entries)).toBeUndefined()
      expect(answer.error!.code).toBe('forbidden')
      expect(answer.error!.message).toMatch(/^Nothing was queued: entries\.\d\.(localPath|symLinkedFrom): /)
    }
    expect((await call('downloads:list')).result).toEqual([])
    expect(await readFile(victim, 'utf8')).toBe('keep me')
  })

  it('config:save never writes outside the root, config:open and local:stat never read there', async () => {
    const dotfile = join(outside, '.bashrc')
    await writeFile(dotfile, '{"secret": true}')
    const saved = await call('config:save', { path: dotfile, mode: 'new', models: [] })
    expect(saved.error).toMatchObject({ code: 'forbidden' })
    expect(await readFile(dotfile, 'utf8')).toBe('{"secret": true}')

    for (const path of [dotfile, '/etc/passwd', '/proc/self/environ']) {
      const opened = await call('config:open', { path })
      expect(opened.error, path).toMatchObject({ code: 'forbidden' })
      expect(opened.error!.message, path).not.toMatch(/JSON|line|column|secret|root:/)
    }
    const stat = await call('local:stat', { models: [{ localPath: dotfile, expectedSize: 1 }] })
    expect(stat.error).toMatchObject({ code: 'forbidden' })
  })

  it('settings:update cannot make "/" or a system folder the models root', async () => {
    for (const modelsRoot of ['/', '/etc', '/usr']) {
      const answer = await call('settings:update', { modelsRoot })
      expect(answer.error, modelsRoot).toMatchObject({ code: 'forbidden' })
    }
    const settings = (await call('settings:get')).result as { settings: { modelsRoot: string } }
    expect(settings.settings.modelsRoot).toBe(root)
    // The service still refuses what the attacker would have let through with "/".
    const after = await call('downloads:enqueue', { entries: [entry('/tmp/x.safetensors')] })
    expect(after.error).toMatchObject({ code: 'forbidden' })
  })

  it('refuses paths that are not valid UTF-8 or too long, naming the field', async () => {
    const lone = await call('downloads:enqueue', { entries: [entry(`${root}/loras/\uDC80.safetensors`)] })
    expect(lone.error).toMatchObject({ code: 'bad_request' })
    expect(lone.error!.message).toContain('entries.0.localPath: is not valid UTF-8')
    const long = await call('downloads:enqueue', { entries: [entry(`${root}/${'a'.repeat(5000)}`)] })
    expect(long.error!.message).toContain('entries.0.localPath: must be at most 4096 bytes')
    expect(serve.child.exitCode).toBeNull()
  })
})

describe("modeldl serve: the folders a user names at start are the window's for configs", () => {
  it('loads MODEL_CONFIG_FILE, and opens and saves configs in its folder and in --config-dir', async () => {
    const configs = join(work, 'configs')
    const extra = join(work, 'extra')
    await mkdir(configs)
    await mkdir(extra)
    const config = {
      loras: {
        x: {
          originalS3Path: 's3://models/loras/x.safetensors',
          localPath: join(root, 'loras', 'x.safetensors'),
          modelName: 'x.safetensors',
          modelSize: 1,
          directoryGroup: 'loras',
        },
      },
    }
    await writeFile(join(configs, 'start.json'), JSON.stringify(config))
    await writeFile(join(extra, 'other.json'), JSON.stringify(config))
    const second = await startServe(
      {
        PATH: process.env['PATH'],
        HOME: work,
        ...s3.env,
        MODELDL_HOME: join(work, 'home2'),
        MODELDL_MODELS_ROOT: root,
        MODEL_CONFIG_FILE: join(configs, 'start.json'),
      },
      ['--config-dir', extra],
    )
    const socket = await second.socket()
    try {
      const current = await invokeOver(socket, 1, 'config:current')
      expect(current.result).toMatchObject({ source: { kind: 'file', path: join(configs, 'start.json') } })
      expect(
        (await invokeOver(socket, 2, 'config:open', { path: join(extra, 'other.json') })).error,
      ).toBeUndefined()
      const saved = await invokeOver(socket, 3, 'config:save', {
        path: join(configs, 'saved.json'),
        mode: 'new',
        models: [],
      })
      expect(saved.error).toBeUndefined()
      // Only those folders: their parent is not.
      const parent = await invokeOver(socket, 4, 'config:open', { path: join(work, 'x.json') })
      expect(parent.error).toMatchObject({ code: 'forbidden' })
    } finally {
      socket.close()
      await second.stop()
    }
  })
})
