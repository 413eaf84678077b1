import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

const MiB = 1024 * 1024
const SIZES = { vae: 3 * MiB + 1, clip: 2 * MiB, big: 40 * MiB }

/** The old nested format with bucket-less keys, a full s3:// path, placeholders and a symLinkedFrom. */
function nestedConfig(): unknown {
  const m = (key: string, group: string, name: string, size: number, extra = {}) => ({
    originalS3Path: key,
    localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/${group}/${name}`,
    modelName: name,
    modelSize: size,
    directoryGroup: group,
    uploadedAt: '2025-07-10T08:12:00.000Z',
    ...extra,
  })
  return {
    vae: { ae: m('models/vae/ae.safetensors', 'vae', 'ae.safetensors', SIZES.vae) },
    clip: { clip_l: m('models/clip/clip_l.safetensors', 'clip', 'clip_l.safetensors', SIZES.clip) },
    text_encoders: {
      clip_l: m('models/clip/clip_l.safetensors', 'text_encoders', 'clip_l.safetensors', SIZES.clip, {
        symLinkedFrom: '{{NETWORK_VOLUME}}/ComfyUI/models/clip/clip_l.safetensors',
      }),
    },
    checkpoints: {
      big: m('s3://models/models/checkpoints/big.safetensors', 'checkpoints', 'big.safetensors', SIZES.big),
    },
  }
}

describe('modeldl download / progress / list / cancel / worker (the real CLI, s3rver)', () => {
  let s3: TestS3Server
  let work: string
  let nv: string
  let home: string
  let env: NodeJS.ProcessEnv
  const children: ChildProcess[] = []
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    await s3.putRandom('models/vae/ae.safetensors', SIZES.vae)
    await s3.putRandom('models/clip/clip_l.safetensors', SIZES.clip)
    await s3.putRandom('models/checkpoints/big.safetensors', SIZES.big)
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await makeTempDir('modeldl-cli-svc-')
    nv = join(work, 'volume')
    home = join(work, 'home')
    await mkdir(nv)
    await writeFile(join(work, 'config.json'), JSON.stringify(nestedConfig()))
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.env,
      NETWORK_VOLUME: nv,
      AWS_BUCKET_NAME: 'models',
      MODELDL_HOME: home,
      MODEL_CONFIG_FILE: join(work, 'config.json'),
    }
  })
  afterEach(async () => {
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    for (const c of children.splice(0)) c.kill('SIGKILL')
    await removeTempDir(work)
  })

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  const path = (group: string, name: string) => join(nv, 'ComfyUI/models', group, name)
  const limit = (bps: number) =>
    writeFile(join(home, 'settings.json'), JSON.stringify({ bandwidthLimitBps: bps }))
  const state = async () =>
    JSON.parse(await readFile(join(home, 'state.json'), 'utf8')) as {
      records: { id: string; status: string }[]
    }

  it('missing --wait fetches what is absent, links symLinkedFrom, writes the progress file; all then finds it complete', async () => {
    const r = run('download', 'missing', '--wait')
    expect(r.status, r.stderr).toBe(0)
    expect(
      readFileSync(path('vae', 'ae.safetensors')).equals(await s3.get('models/vae/ae.safetensors')),
    ).toBe(true)
    expect(
      readFileSync(path('checkpoints', 'big.safetensors')).equals(
        await s3.get('models/checkpoints/big.safetensors'),
      ),
    ).toBe(true)
    expect(readlinkSync(path('text_encoders', 'clip_l.safetensors'))).toBe('../clip/clip_l.safetensors')
    const progress = JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')) as Record<
      string,
      Record<string, { status: string; downloaded: number; totalSize: number }>
    >
    expect(progress['checkpoints']!['big.safetensors']).toMatchObject({
      status: 'completed',
      downloaded: SIZES.big,
      totalSize: SIZES.big,
    })
    expect(Object.keys(progress).sort()).toEqual(['checkpoints', 'clip', 'text_encoders', 'vae'])

    // No owner runs now: the read-only commands answer from the state folder.
    const status = JSON.parse(run('status', '--json').stdout) as { owner: unknown; queueLength: number }
    expect(status.owner).toBeNull()
    expect(status.queueLength).toBe(0)
    const all = JSON.parse(run('progress', '--all').stdout) as Record<
      string,
      Record<string, { status: string }>
    >
    expect(all['vae']!['ae.safetensors']!.status).toBe('completed')
    expect(run('list', '--format', 'table').stdout).toMatch(/No active downloads/)

    const again = run('download', 'all', '--wait')
    expect(again.status, again.stderr).toBe(0)
    // The link stood right already: nothing is left to link.
    expect(again.stderr).toMatch(/0 queued, 0 to link, 4 already complete/)
  })

  it('missing re-fetches a truncated file (the old system counted it installed)', async () => {
    expect(run('download', 'missing', '--wait').status).toBe(0)
    await truncate(path('vae', 'ae.safetensors'), 1000)
    const r = run('download', 'missing', '--wait')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^1 queued/m)
    expect((await readFile(path('vae', 'ae.safetensors'))).length).toBe(SIZES.vae)
  })

  it('list and single modes take inline JSON and @file', async () => {
    const single = {
      directoryGroup: 'vae',
      modelName: 'ae.safetensors',
      originalS3Path: 's3://models/models/vae/ae.safetensors',
      localPath: path('vae', 'ae.safetensors'),
      modelSize: SIZES.vae,
    }
    let r = run('download', 'single', JSON.stringify(single), '--wait')
    expect(r.status, r.stderr).toBe(0)
    await writeFile(
      join(work, 'list.json'),
      JSON.stringify([
        {
          ...single,
          modelName: 'clip_l.safetensors',
          directoryGroup: 'clip',
          originalS3Path: 'models/clip/clip_l.safetensors',
          localPath: path('clip', 'clip_l.safetensors'),
          modelSize: SIZES.clip,
        },
      ]),
    )
    r = run('download', 'list', `@${join(work, 'list.json')}`, '--wait', '--json')
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string })
    expect(lines.at(-1)!.status).toBe('completed')
    expect(existsSync(path('clip', 'clip_l.safetensors'))).toBe(true)
  })

  it.each([
    [['download', 'sometimes'], /Unknown mode "sometimes"/],
    [
      ['download', 'list', '[{"directoryGroup":"vae"}]'],
      /\[0\]: (modelName|originalS3Path|localPath|modelSize)/,
    ],
    [['download', 'list', '{not json'], /not valid JSON/],
    [
      [
        'download',
        'single',
        JSON.stringify({
          directoryGroup: 'vae',
          modelName: 'x',
          originalS3Path: 'models/x',
          localPath: '/etc/passwd',
          modelSize: 1,
        }),
      ],
      /localPath/,
    ],
    [
      [
        'download',
        'single',
        JSON.stringify({
          directoryGroup: 'vae',
          modelName: 'x',
          originalS3Path: 'models/x',
          localPath: '{{NETWORK_VOLUME}}/../escape',
          modelSize: 1,
        }),
      ],
      /localPath/,
    ],
    [['download', 'missing', '--config', '/nonexistent/config.json'], /config/i],
    [['cancel'], /cancel needs exactly one of/],
    [['list', '--format', 'xml'], /--format takes json, table or simple/],
  ])('bad input %j: exit 2, a message naming what is wrong, nothing queued', async (args, message) => {
    const r = run(...args)
    expect(r.status, r.stderr).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(existsSync(join(home, 'state.json')) ? (await state()).records : []).toEqual([])
  })

  it('a bad entry in the config rejects the whole request', async () => {
    const config = nestedConfig() as Record<string, Record<string, Record<string, unknown>>>
    config['vae']!['ae']!['modelSize'] = '3MB'
    await writeFile(join(work, 'config.json'), JSON.stringify(config))
    const r = run('download', 'missing', '--wait')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/vae\/ae: modelSize/)
    expect(existsSync(join(home, 'state.json'))).toBe(false)
    expect(existsSync(path('clip', 'clip_l.safetensors'))).toBe(false)
  })

  it('without --wait hands the work to a background owner; a second process cancels it mid-transfer', async () => {
    await mkdir(home, { recursive: true })
    await limit(8 * MiB)
    const r = run('download', 'missing')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(join(home, 'progress.json'))
    const big = path('checkpoints', 'big.safetensors')
    await waitUntil(() => {
      const list = run('list', '--format', 'json')
      const rows = JSON.parse(list.stdout) as { localPath: string; status: string; downloaded: number }[]
      return rows.some((x) => x.localPath === big && x.status === 'progress' && x.downloaded > 4 * MiB)
    })
    const simple = run('list', '--format', 'simple')
    expect(simple.stdout).toMatch(/checkpoints\/big\.safetensors {2}progress {2}\d+(\.\d)?%/)
    const table = run('list', '--format', 'table')
    expect(table.stdout).toMatch(/^GROUP +MODEL +STATUS/)
    const status = JSON.parse(run('status', '--json').stdout) as { owner: { kind: string; pid: number } }
    expect(status.owner.kind).toBe('daemon')

    const t0 = Date.now()
    const c = run('cancel', '--path', big)
    expect(c.status, c.stderr).toBe(0)
    await waitUntil(() => !existsSync(`${big}.part`))
    expect(Date.now() - t0).toBeLessThan(3_000)
    const p = JSON.parse(
      run('progress', '--group', 'checkpoints', '--model', 'big.safetensors').stdout,
    ) as Record<string, Record<string, { status: string }>>
    expect(p['checkpoints']!['big.safetensors']!.status).toBe('cancelled')
    await new Promise((res) => setTimeout(res, 1000))
    expect(JSON.parse(run('progress', '--path', big).stdout)['checkpoints']['big.safetensors'].status).toBe(
      'cancelled',
    )
    expect(existsSync(big)).toBe(false)
  })

  it('pause and resume from another process; worker stop pauses cleanly and worker start continues', async () => {
    await mkdir(home, { recursive: true })
    await limit(8 * MiB)
    expect(run('download', 'missing').status).toBe(0)
    const big = path('checkpoints', 'big.safetensors')
    await waitUntil(
      () => /progress/.test(run('list', '--format', 'simple').stdout) && existsSync(`${big}.part`),
    )
    expect(run('pause', '--group', 'checkpoints', '--model', 'big').status).toBe(0)
    await waitUntil(() => /big\.safetensors {2}paused/.test(run('list', '--format', 'simple').stdout))
    expect(existsSync(`${big}.part`)).toBe(true)
    expect(run('resume', '--path', big).status).toBe(0)
    await waitUntil(() => /big\.safetensors {2}progress/.test(run('list', '--format', 'simple').stdout))
    expect(run('worker', 'stop').status).toBe(0)
    await waitUntil(() => /Owner: +none running/.test(run('status').stdout))
    expect(existsSync(`${big}.part`)).toBe(true)
    expect(run('queue').stdout).toMatch(/big\.safetensors {2}queued/)
    await writeFile(join(home, 'settings.json'), '{}')
    expect(run('worker', 'start').status).toBe(0)
    await waitUntil(() => existsSync(big) && !existsSync(`${big}.part`), 30_000)
    expect(readFileSync(big).equals(await s3.get('models/checkpoints/big.safetensors'))).toBe(true)
  })

  it('SIGKILL of the owner mid-download: the next run resumes from the partial file', async () => {
    await mkdir(home, { recursive: true })
    await limit(8 * MiB)
    const owner = spawn(process.execPath, [CLI_BIN, 'download', 'missing', '--wait', '--json'], { env })
    children.push(owner)
    const big = path('checkpoints', 'big.safetensors')
    await waitUntil(() => existsSync(`${big}.part.json`), 20_000)
    await new Promise((res) => setTimeout(res, 1500))
    owner.kill('SIGKILL')
    await new Promise((res) => owner.once('exit', res))
    expect(existsSync(big)).toBe(false)
    const sidecar = JSON.parse(readFileSync(`${big}.part.json`, 'utf8')) as { ranges: [number, number][] }
    const kept = sidecar.ranges.reduce((t, [a, b]) => t + b - a, 0)
    expect(kept).toBeGreaterThan(4 * MiB)
    await writeFile(join(home, 'settings.json'), '{}')
    // The lock of the killed owner goes stale within ~10 s; until then this run waits for it.
    const r = run('download', 'missing', '--wait', '--json')
    expect(r.status, r.stderr).toBe(0)
    expect(readFileSync(big).equals(await s3.get('models/checkpoints/big.safetensors'))).toBe(true)
    expect(readFileSync(join(home, 'modeldl.log'), 'utf8')).toMatch(/resum|Enqueued/)
  }, 90_000)

  it('Ctrl-C in --wait pauses (the partial file stays) and the next run resumes', async () => {
    await mkdir(home, { recursive: true })
    await limit(8 * MiB)
    const owner = spawn(process.execPath, [CLI_BIN, 'download', 'missing', '--wait'], { env, detached: true })
    children.push(owner)
    let said = ''
    owner.stderr.on('data', (d: Buffer) => (said += d.toString()))
    const big = path('checkpoints', 'big.safetensors')
    await waitUntil(() => existsSync(`${big}.part.json`), 20_000)
    process.kill(-owner.pid!, 'SIGINT')
    const code = await new Promise<number | null>((res) => owner.once('exit', res))
    expect(code).toBe(1)
    // It says how to go on, in a command that can be pasted.
    expect(said).toContain('Paused. To resume, run the same command again: modeldl download missing --wait')
    expect(existsSync(`${big}.part`)).toBe(true)
    expect(JSON.parse(run('progress', '--path', big).stdout)['checkpoints']['big.safetensors'].status).toBe(
      'paused',
    )
    await writeFile(join(home, 'settings.json'), '{}')
    // Asking for it again resumes it: no separate resume needed.
    const w = run('download', 'missing', '--wait')
    expect(w.status, w.stderr).toBe(0)
    // The paused big model (and the small one, when it had not finished before Ctrl-C: with automatic
    // connections the big one may take more of the shared bandwidth limit) is queued already.
    expect(w.stderr).toMatch(/[12] already queued/)
    expect(readFileSync(big).equals(await s3.get('models/checkpoints/big.safetensors'))).toBe(true)
  }, 60_000)

  it('a second owner is refused: --wait while a background owner runs joins it instead', async () => {
    await mkdir(home, { recursive: true })
    await limit(8 * MiB)
    expect(run('worker', 'start').status).toBe(0)
    const first = JSON.parse(run('status', '--json').stdout) as { owner: { pid: number; kind: string } }
    expect(first.owner.kind).toBe('daemon')
    const r = run(
      'download',
      'single',
      JSON.stringify({
        directoryGroup: 'vae',
        modelName: 'ae.safetensors',
        originalS3Path: 'models/vae/ae.safetensors',
        localPath: path('vae', 'ae.safetensors'),
        modelSize: SIZES.vae,
      }),
      '--wait',
    )
    expect(r.status, r.stderr).toBe(0)
    const after = JSON.parse(run('status', '--json').stdout) as { owner: { pid: number } }
    expect(after.owner.pid).toBe(first.owner.pid)
  })
})

async function waitUntil(test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 200))
  }
}
