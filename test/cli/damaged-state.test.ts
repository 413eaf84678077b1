// Issue 17: a damaged state folder is explained on the terminal, never answered with a stack trace.
// The real built CLI (bin/modeldl.js) as a child process, MODELDL_HOME in a temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelRecord, ServiceStatus } from '../../src/shared/service-contract'
import { CLI_BIN } from '../support/built'
import { makeTempDir, removeTempDir } from '../support/temp'

/** A stack trace's frames, as Node prints them. */
const STACK_FRAME = /^ {4}at /m
const BACKUP_TIME = new Date('2026-01-02T03:04:05.000Z')
const READ_COMMANDS = [['queue'], ['list'], ['status']] as const

let work: string
let home: string
let models: string
let env: NodeJS.ProcessEnv
const children: ChildProcess[] = []
/** Set by a test that starts a background owner (`resume`): afterEach stops it. */
let daemon = false

beforeEach(async () => {
  work = await makeTempDir('modeldl-damaged-')
  home = join(work, 'home')
  models = join(work, 'models')
  await mkdir(home)
  await mkdir(models)
  env = { PATH: process.env['PATH'], HOME: work, MODELDL_HOME: home, MODELDL_MODELS_ROOT: models }
})
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGTERM')
      await exited
    }
  }
  if (daemon) spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
  daemon = false
  await removeTempDir(work)
})

const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })

function record(name: string, overrides: Partial<ModelRecord> = {}): ModelRecord {
  const localPath = join(models, 'loras', name)
  return {
    id: localPath,
    group: 'loras',
    modelName: name,
    s3Uri: `s3://bucket/loras/${name}`,
    localPath,
    expectedSize: 100,
    status: 'queued',
    downloaded: 0,
    totalSize: 100,
    speedBps: 0,
    etaSeconds: null,
    attempts: 0,
    autoRetries: 0,
    batchId: 'b1',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUpdated: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }
}

/** A good state with one queued model, `saved.safetensors`. */
function good(): string {
  const saved = record('saved.safetensors')
  return JSON.stringify({ version: 1, queue: [saved.id], records: [saved] })
}

const DAMAGE = {
  truncated: () => good().slice(0, 40),
  'not JSON': () => 'this is not JSON\n',
  'wrong shape': () => JSON.stringify({ version: 1, queue: [], records: [{ id: 5 }] }),
} as const

async function damage(kind: keyof typeof DAMAGE, { backup }: { backup: boolean }): Promise<void> {
  await writeFile(join(home, 'state.json'), DAMAGE[kind]())
  if (backup) {
    await writeFile(join(home, 'state.json.bak'), good())
    await utimes(join(home, 'state.json.bak'), BACKUP_TIME, BACKUP_TIME)
  }
}

/** `<name>.part.json` (and, for the first, half a `.part`) under models/loras: partial downloads. */
async function sidecars(...names: string[]): Promise<void> {
  await mkdir(join(models, 'loras'), { recursive: true })
  for (const [i, name] of names.entries()) {
    const sidecar = {
      version: 1,
      s3Uri: `s3://bucket/loras/${name}`,
      etag: '"e"',
      size: 100,
      ranges: [[0, 49]],
      updatedAt: '2026-01-01T00:00:00.000Z',
    }
    await writeFile(join(models, 'loras', `${name}.part.json`), JSON.stringify(sidecar))
    if (i === 0) await writeFile(join(models, 'loras', `${name}.part`), Buffer.alloc(50))
  }
}

async function corruptKept(): Promise<string[]> {
  return (await readdir(home)).filter((n) => n.startsWith('state.json.corrupt-'))
}

function expectNoStack(r: { stderr: string; stdout: string }): void {
  expect(r.stderr).not.toMatch(STACK_FRAME)
  expect(r.stdout).not.toMatch(STACK_FRAME)
  expect(r.stderr).not.toMatch(/unexpected error/)
}

describe('a damaged state.json: queue, list and status say what they recovered from', () => {
  for (const kind of Object.keys(DAMAGE) as Array<keyof typeof DAMAGE>) {
    for (const args of READ_COMMANDS) {
      it(`${kind}, with a .bak: ${args.join(' ')} restores it and says so`, async () => {
        await damage(kind, { backup: true })
        const r = run(...args)
        expectNoStack(r)
        expect(r.status, r.stderr).toBe(0)
        expect(r.stderr).toContain(`${join(home, 'state.json')} was damaged`)
        expect(r.stderr).toContain('restored the queue from state.json.bak (saved 2026-01-02 03:04:05 UTC)')
        const [kept] = await corruptKept()
        expect(r.stderr).toContain(`The damaged file is kept at ${join(home, kept!)}`)
        expect(r.stderr.trim().split('\n')).toHaveLength(2)
        if (args[0] !== 'status') expect(r.stdout).toContain('saved.safetensors')
        else expect(r.stdout).toMatch(/Queue: +1 models/)

        // Recovered once: the next command reads a good file and says nothing.
        const again = run(...args)
        expect(again.status).toBe(0)
        expect(again.stderr).toBe('')
      })
    }
  }

  for (const args of READ_COMMANDS) {
    it(`not JSON, no .bak, .part.json files on disk: ${args.join(' ')} rebuilds from them and says how many`, async () => {
      await damage('not JSON', { backup: false })
      await sidecars('half.safetensors', 'none.safetensors')
      const r = run(...args)
      expectNoStack(r)
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/state\.json was damaged \(not valid JSON\) and there was no backup/)
      expect(r.stderr).toContain(
        'rebuilt the queue from the .part.json files in the models folders: 2 paused',
      )
      expect(r.stderr).toContain(`kept at ${join(home, (await corruptKept())[0]!)}`)
      if (args[0] !== 'status') {
        expect(r.stdout).toContain('half.safetensors')
        expect(r.stdout).toContain('none.safetensors')
      }
    })

    it(`truncated, no .bak, nothing on disk: ${args.join(' ')} starts empty and says where the damaged file is`, async () => {
      await damage('truncated', { backup: false })
      const r = run(...args)
      expectNoStack(r)
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/there was no backup and no \.part\.json file .* the queue starts empty/)
      const kept = await corruptKept()
      expect(kept).toHaveLength(1)
      expect(r.stderr).toContain(`The damaged file is kept at ${join(home, kept[0]!)}.`)
    })
  }

  it('wrong shape, its .bak damaged too: says both, and the status answer carries it', async () => {
    await damage('wrong shape', { backup: false })
    await writeFile(join(home, 'state.json.bak'), '{')
    const r = run('status', '--json')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /unexpected content at records\.0\.id.*its backup was damaged too \(not valid JSON\)/,
    )
    const status = JSON.parse(r.stdout) as ServiceStatus
    expect(status.recovered).toMatchObject({ from: 'empty', keptAt: expect.stringContaining('.corrupt-') })
  })

  it('progress, pause and download say it too; resume hears it from the background owner it starts', async () => {
    await damage('not JSON', { backup: true })
    let r = run('progress')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('restored the queue from state.json.bak')

    await damage('not JSON', { backup: true })
    r = run('pause', '--all')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('restored the queue from state.json.bak')

    // A model whose file is already complete: --wait ends at once, without S3.
    const file = join(models, 'loras', 'done.safetensors')
    await mkdir(join(models, 'loras'), { recursive: true })
    await writeFile(file, Buffer.alloc(10))
    const single = {
      directoryGroup: 'loras',
      modelName: 'done.safetensors',
      originalS3Path: 's3://bucket/loras/done.safetensors',
      localPath: file,
      modelSize: 10,
    }
    await damage('truncated', { backup: true })
    r = run('download', 'single', JSON.stringify(single), '--wait')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('restored the queue from state.json.bak')

    // Only a completed model in the backup: the background owner has nothing to fetch.
    const completed = record('saved.safetensors', { status: 'completed', downloaded: 100 })
    await writeFile(join(home, 'state.json'), 'garbage')
    await writeFile(
      join(home, 'state.json.bak'),
      JSON.stringify({ version: 1, queue: [], records: [completed] }),
    )
    daemon = true
    r = run('resume', '--all')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('restored the queue from state.json.bak')
  })

  it('while another process owns the queue, status hears of the recovery from the owner', async () => {
    await damage('not JSON', { backup: true })
    const owner = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0'], { env })
    children.push(owner)
    let serveErr = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${serveErr}`)), 30_000)
      owner.stderr!.on('data', (chunk: Buffer) => {
        serveErr += chunk.toString()
        if (/owns the queue/.test(serveErr)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })

    let r = run('status')
    expectNoStack(r)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Owner: +serve/)
    expect(r.stderr).toContain('restored the queue from state.json.bak (saved 2026-01-02 03:04:05 UTC)')
    r = run('status', '--json')
    const status = JSON.parse(r.stdout) as ServiceStatus
    expect(status.owner?.kind).toBe('serve')
    expect(status.recovered).toMatchObject({
      from: 'backup',
      reason: 'not valid JSON',
      backupTime: BACKUP_TIME.toISOString(),
      keptAt: join(home, (await corruptKept())[0]!),
    })
  })
})

describe('known conditions end with "modeldl: <message>", not a stack trace', () => {
  for (const args of READ_COMMANDS) {
    it(`settings.json not JSON: ${args.join(' ')} names the file, exit 2`, async () => {
      await writeFile(join(home, 'settings.json'), '{"concurrency": 4,\n')
      const r = run(...args)
      expectNoStack(r)
      expect(r.status).toBe(2)
      expect(r.stderr).toMatch(/^modeldl: The settings file .*settings\.json is not valid JSON \(/)
      expect(r.stderr).toContain(join(home, 'settings.json'))
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    })

    it(`settings.json with a wrong-typed setting: ${args.join(' ')} names the file, the field and what is expected`, async () => {
      await writeFile(join(home, 'settings.json'), JSON.stringify({ concurrency: 'eight' }))
      const r = run(...args)
      expectNoStack(r)
      expect(r.status).toBe(2)
      expect(r.stderr).toBe(
        `modeldl: The settings file ${join(home, 'settings.json')} is not valid: ` +
          '"concurrency" should be a number, but is "eight". Fix or remove that setting.\n',
      )
    })

    it(`MODELDL_HOME under a regular file (ENOTDIR): ${args.join(' ')} says which file is in the way`, async () => {
      await writeFile(join(work, 'plain-file'), '')
      env['MODELDL_HOME'] = join(work, 'plain-file', 'home')
      const r = run(...args)
      expectNoStack(r)
      expect(r.status).toBe(1)
      expect(r.stderr).toBe(
        `modeldl: Cannot use the state folder ${join(work, 'plain-file', 'home')}: ` +
          `${join(work, 'plain-file')} is a file, not a folder (ENOTDIR). ` +
          'Set MODELDL_HOME (or --home) to a folder you can write to.\n',
      )
    })
  }

  it('MODELDL_HOME under a regular file: pause (which takes the lock) and resume (which starts an owner) say so at once', async () => {
    await writeFile(join(work, 'plain-file'), '')
    env['MODELDL_HOME'] = join(work, 'plain-file', 'home')
    for (const verb of ['pause', 'resume']) {
      const started = Date.now()
      const r = run(verb, '--all')
      expectNoStack(r)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/is a file, not a folder \(ENOTDIR\)/)
      expect(Date.now() - started).toBeLessThan(10_000)
    }
  })

  it('MODELDL_HOME is itself a regular file', async () => {
    await writeFile(join(work, 'plain-file'), '')
    env['MODELDL_HOME'] = join(work, 'plain-file')
    const r = run('pause', '--all')
    expectNoStack(r)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/plain-file is a file, not a folder/)
  })

  // An unwritable state folder (EACCES) cannot be made here: these tests run as root, which may write
  // anywhere. The same path (StateFolderError) carries it; see owner-lock.ts.

  it('a missing model config', async () => {
    const r = run('download', 'all', '--config', join(work, 'nope.json'))
    expectNoStack(r)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^modeldl: Model config .*nope\.json: file not found/)
  })
})
