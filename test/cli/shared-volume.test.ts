// Many "pods", one network volume (issue 19): real `modeldl download missing --wait` processes, each with
// its own state folder and host name, on one folder, in front of s3rver behind the project's fault
// proxy, which counts the bytes each object is served. Each object must be served once, every pod must
// exit 0, and nothing but the finished files may be left on the volume.
import { spawn, type ChildProcess } from 'node:child_process'
import { lstat, mkdir, readdir, readFile, realpath, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy'
import { startS3Server, type RandomObject, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

const MiB = 1024 * 1024
/** Short for the test; the default is 15 s (see src/core/claims/claim-timing.ts). */
const STALE_SECONDS = 3
const POLL = { timeout: 20_000, interval: 50 }

interface Pod {
  child: ChildProcess
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

describe('pods sharing one volume', () => {
  let s3: TestS3Server
  let proxy: FaultProxy
  let work: string
  const objects: Record<string, RandomObject> = {}
  const keys = { a: 'models/checkpoints/a.safetensors', b: 'models/loras/b.safetensors' }

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    objects.a = await s3.putRandom(keys.a, 12 * MiB + 5)
    objects.b = await s3.putRandom(keys.b, 8 * MiB + 3)
    proxy = await startFaultProxy(s3.endpoint)
    work = await makeTempDir('modeldl-shared-volume-')
  })
  afterAll(async () => {
    await proxy?.close()
    await s3?.close()
    if (work) await removeTempDir(work)
  })

  /** A fresh volume and config; pods write their state folders beside it. */
  async function volume(name: string): Promise<{ dir: string; config: string }> {
    const dir = join(work, name, 'volume')
    await mkdir(dir, { recursive: true })
    const config = join(work, name, 'models.json')
    const entry = (group: string, file: string, key: string, size: number) => ({
      directoryGroup: group,
      modelName: file,
      originalS3Path: key,
      localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/${group}/${file}`,
      modelSize: size,
    })
    await writeFile(
      config,
      JSON.stringify([
        entry('checkpoints', 'a.safetensors', keys.a, objects.a!.body.length),
        entry('loras', 'b.safetensors', keys.b, objects.b!.body.length),
        // The same object again: a link to the one download, made once by whichever pod gets there first.
        entry('clip', 'b.safetensors', keys.b, objects.b!.body.length),
      ]),
    )
    return { dir, config }
  }

  /** One pod: its own state folder (with a bandwidth limit so that pods overlap) and host name. */
  async function pod(
    name: string,
    i: number,
    v: { dir: string; config: string },
    bandwidth: number,
    args: string[] = ['download', 'missing', '--config', v.config, '--wait'],
  ): Promise<Pod> {
    const home = join(work, name, `state-${i}`)
    await mkdir(home, { recursive: true })
    await writeFile(join(home, 'settings.json'), JSON.stringify({ bandwidthLimitBps: bandwidth }))
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: {
        PATH: process.env['PATH'],
        HOME: work,
        ...s3.envFor(proxy.url),
        AWS_BUCKET_NAME: 'models',
        NETWORK_VOLUME: v.dir,
        MODELDL_HOME: home,
        MODELDL_HOST_NAME: `pod-${i}`,
        MODELDL_CLAIM_STALE_SECONDS: String(STALE_SECONDS),
      },
    })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>(
      (resolve) =>
        child.once('close', (status, signal) => {
          clearTimeout(timer)
          resolve({ status, signal, stderr })
        }),
    )
    return { child, done }
  }

  const servedBytes = (key: string) =>
    proxy.totalBodyBytes(
      (r) => r.method === 'GET' && r.path.includes(key) && (r.status === 200 || r.status === 206),
    )

  /** Every file under the volume, relative to it. */
  async function filesOn(dir: string): Promise<string[]> {
    const out: string[] = []
    const walk = async (d: string, rel: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const path = rel ? `${rel}/${e.name}` : e.name
        if (e.isDirectory() && !e.name.endsWith('.modeldl-claim')) await walk(join(d, e.name), path)
        else out.push(path)
      }
    }
    await walk(dir, '')
    return out.sort()
  }

  async function expectLanded(dir: string): Promise<void> {
    const a = await readFile(join(dir, 'ComfyUI/models/checkpoints/a.safetensors'))
    const b = await readFile(join(dir, 'ComfyUI/models/loras/b.safetensors'))
    expect(a.equals(objects.a!.body)).toBe(true)
    expect(b.equals(objects.b!.body)).toBe(true)
    const link = join(dir, 'ComfyUI/models/clip/b.safetensors')
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await realpath(link)).toBe(await realpath(join(dir, 'ComfyUI/models/loras/b.safetensors')))
    expect(await filesOn(dir)).toEqual([
      'ComfyUI/models/checkpoints/a.safetensors',
      'ComfyUI/models/clip/b.safetensors',
      'ComfyUI/models/loras/b.safetensors',
    ])
  }

  it.each([2, 5])(
    '%i pods started together: each object served once, all exit 0, no stray files',
    async (n) => {
      const name = `together-${n}`
      const v = await volume(name)
      const before = { a: servedBytes(keys.a), b: servedBytes(keys.b) }
      const pods = await Promise.all(Array.from({ length: n }, (_, i) => pod(name, i + 1, v, 6 * MiB)))
      const results = await Promise.all(pods.map((p) => p.done))
      for (const r of results) expect(r.status, r.stderr).toBe(0)
      expect(servedBytes(keys.a) - before.a).toBe(objects.a!.body.length)
      expect(servedBytes(keys.b) - before.b).toBe(objects.b!.body.length)
      await expectLanded(v.dir)
      // The others said whose download they followed, and that it landed verified.
      const all = results.map((r) => r.stderr).join('\n')
      expect(all).toMatch(/progress +checkpoints\/a\.safetensors +\(being fetched by pod-\d\)/)
      expect(all).toMatch(/completed +checkpoints\/a\.safetensors +\(verified: MD5 ETag; fetched by pod-\d\)/)
    },
    120_000,
  )

  it('SIGKILL of the claiming pod at 40%: another takes over within the stale limit; served at most 1.5 times', async () => {
    const name = 'takeover'
    const v = await volume(name)
    const target = join(v.dir, 'ComfyUI/models/checkpoints/a.safetensors')
    const before = servedBytes(keys.a)
    const claimer = await pod(name, 1, v, 3 * MiB)
    const size = objects.a!.body.length
    await expect
      .poll(async () => (await stat(`${target}.part`).catch(() => null))?.size ?? 0, POLL)
      .toBeGreaterThanOrEqual(0.1 * size)
    const follower = await pod(name, 2, v, 3 * MiB)
    await expect.poll(() => readSidecarBytes(`${target}.part.json`), POLL).toBeGreaterThanOrEqual(0.4 * size)
    claimer.child.kill('SIGKILL')
    const killedAt = Date.now()
    await expect.poll(() => ownerHost(target), { ...POLL, timeout: 30_000 }).toBe('pod-2')
    const takeoverMs = Date.now() - killedAt
    // The claim stops moving at the kill; it is stale STALE_SECONDS later, seen at the next look.
    expect(takeoverMs).toBeLessThan(STALE_SECONDS * 1000 + 2_500)
    const r = await follower.done
    expect(r.status, r.stderr).toBe(0)
    expect(servedBytes(keys.a) - before).toBeLessThanOrEqual(1.5 * size)
    await expectLanded(v.dir)
    console.info(
      `takeover ${takeoverMs} ms after SIGKILL; a served ${((servedBytes(keys.a) - before) / size).toFixed(2)}×`,
    )
  }, 120_000)

  it("a follower's cancel stops following; the claimer keeps going and its .part stays", async () => {
    const name = 'cancel'
    const v = await volume(name)
    const target = join(v.dir, 'ComfyUI/models/checkpoints/a.safetensors')
    const claimer = await pod(name, 1, v, 3 * MiB)
    await expect.poll(() => ownerHost(target), POLL).toBe('pod-1')
    const follower = await pod(name, 2, v, 3 * MiB)
    // Wait until pod 2 follows a (its progress line says so), then cancel it there.
    await expect
      .poll(() => readFile(join(work, name, 'state-2', 'progress.json'), 'utf8').catch(() => ''), POLL)
      .toMatch(/"fetchedBy": ?"pod-1"/)
    const cancel = await pod(name, 2, v, 3 * MiB, ['cancel', '--path', target])
    expect((await cancel.done).status).toBe(0)
    const partSize = (await stat(`${target}.part`)).size
    expect(partSize).toBeGreaterThan(0)
    const f = await follower.done
    expect(f.stderr).toMatch(/cancelled +checkpoints\/a\.safetensors/)
    const c = await claimer.done
    expect(c.status, c.stderr).toBe(0)
    await expectLanded(v.dir)
  }, 120_000)

  it('a symbolic link where a claim goes is refused, and nothing is written through it', async () => {
    const name = 'hostile-claim'
    const v = await volume(name)
    const folder = join(v.dir, 'ComfyUI/models/checkpoints')
    const elsewhere = join(work, name, 'elsewhere')
    await mkdir(folder, { recursive: true })
    await mkdir(elsewhere)
    await symlink(elsewhere, join(folder, 'a.safetensors.modeldl-claim'))
    const p = await pod(name, 1, v, 0)
    const r = await p.done
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/a\.safetensors\.modeldl-claim is a symbolic link, not a claim folder/)
    expect(await readdir(elsewhere)).toEqual([])
    // The other model was not held up by it.
    expect((await readFile(join(v.dir, 'ComfyUI/models/loras/b.safetensors'))).equals(objects.b!.body)).toBe(
      true,
    )
  }, 60_000)
})

async function ownerHost(target: string): Promise<string | undefined> {
  try {
    const owner = JSON.parse(await readFile(`${target}.modeldl-claim/owner.json`, 'utf8')) as { host: string }
    return owner.host
  } catch {
    return undefined
  }
}

async function readSidecarBytes(path: string): Promise<number> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as { ranges: Array<[number, number]> }
    return s.ranges.reduce((n, [a, b]) => n + (b - a), 0)
  } catch {
    return 0
  }
}
