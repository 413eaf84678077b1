import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir, sha256File } from '../support/temp'

const MiB = 1024 * 1024

describe('modeldl get (the real CLI binary)', () => {
  let s3: TestS3Server
  let dir: string
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    dir = await makeTempDir('modeldl-cli-')
    env = { PATH: process.env['PATH'], HOME: dir, ...s3.env }
  })
  afterAll(async () => {
    await s3?.close()
    await removeTempDir(dir)
  })

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 })

  it.each([
    [[], /needs pairs/],
    [['s3://models/a.safetensors'], /needs pairs/],
    [['https://x/y', `/tmp/y`], /Not an S3 object URI: "https:\/\/x\/y"/],
    [['s3://models/a', '/tmp/a', '--part-size', 'lots'], /--part-size takes a byte count.*"lots"/],
    [['s3://models/a', '/tmp/a', '--jobs', '0'], /--jobs takes a whole number ≥ 1, got "0"/],
    [['s3://models/a', '/tmp/a', '--bogus'], /unknown option --bogus\. Run `modeldl help`/],
  ])('bad input %j exits 2 with a message that names the problem', (args, message) => {
    const r = run('get', ...args)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('fetches several objects, exit 0, JSON lines on stdout', async () => {
    const a = await s3.putRandom('cli/a.safetensors', 3 * MiB + 5)
    const b = await s3.putRandom('cli/b.safetensors', 1)
    const r = run(
      'get',
      's3://models/cli/a.safetensors',
      `${dir}/a.safetensors`,
      's3://models/cli/b.safetensors',
      `${dir}/sub/b.safetensors`,
      '--json',
    )
    expect(r.status, r.stderr).toBe(0)
    expect(await sha256File(`${dir}/a.safetensors`)).toBe(a.sha256)
    expect(await sha256File(`${dir}/sub/b.safetensors`)).toBe(b.sha256)
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; verified?: string[] })
    const done = events.filter((e) => e.event === 'done')
    expect(done).toHaveLength(2)
    for (const d of done) expect(d.verified).toEqual(['md5-etag'])
  })

  it('exits 1 and names the object when it does not exist', () => {
    const r = run('get', 's3://models/cli/absent.safetensors', `${dir}/absent.safetensors`)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/not_found .*Not found: s3:\/\/models\/cli\/absent\.safetensors/)
    expect(existsSync(`${dir}/absent.safetensors`)).toBe(false)
  })

  it('Ctrl-C pauses (keeps .part), and the next run resumes it', async () => {
    const obj = await s3.putRandom('cli/big.safetensors', 24 * MiB)
    const dest = `${dir}/big.safetensors`
    // Its own process group, signalled as a whole, as a terminal's Ctrl-C does (the worker gets it too).
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'get', 's3://models/cli/big.safetensors', dest, '--limit', '8M', '--json'],
      {
        env,
        detached: true,
      },
    )
    let interrupted = false
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!interrupted && /"bytesDone":(1\d{7}|[2-9]\d{6,7})/.test(out)) {
        interrupted = true
        process.kill(-child.pid!, 'SIGINT')
      }
    })
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    expect(code).toBe(1)
    expect(existsSync(dest)).toBe(false)
    expect(existsSync(`${dest}.part`)).toBe(true)
    expect(out).toMatch(/"event":"failed".*"code":"paused"/)

    const r = run('get', 's3://models/cli/big.safetensors', dest, '--json')
    expect(r.status, r.stderr).toBe(0)
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { bytesResumed: number }
    expect(done.bytesResumed).toBeGreaterThan(2 * MiB)
    expect(await sha256File(dest)).toBe(obj.sha256)
    expect(existsSync(`${dest}.part`)).toBe(false)
  })
})
