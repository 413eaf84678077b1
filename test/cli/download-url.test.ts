import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startModelHostsServer, type ModelHostsServer } from '../support/model-hosts-server'
import { makeTestCertificates, type TestCertificates } from '../support/tls-ca'
import { makeTempDir, removeTempDir, sha256File } from '../support/temp'

const MiB = 1024 * 1024

describe('modeldl download single URL (the real CLI, HTTPS look-alikes of Hugging Face and CivitAI)', () => {
  let work: string
  let certs: TestCertificates
  let server: ModelHostsServer
  let env: NodeJS.ProcessEnv
  let models: string
  let home: string
  const children: ChildProcess[] = []
  beforeAll(async () => {
    work = await makeTempDir('modeldl-cli-url-')
    certs = makeTestCertificates(work)
    server = await startModelHostsServer(certs)
    models = join(work, 'models')
    home = join(work, 'home')
    await mkdir(join(models, 'loras'), { recursive: true })
    await mkdir(join(models, 'checkpoints'), { recursive: true })
    await mkdir(home)
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      MODELDL_HOME: home,
      // The test CA is trusted the way a user trusts a private one; TLS checks stay on.
      NODE_EXTRA_CA_CERTS: certs.caFile,
      HF_ENDPOINT: server.origin,
      HF_TOKEN: server.hfToken,
      CIVITAI_BASE_URL: server.origin,
      CIVITAI_API_TOKEN: server.civitaiToken,
    }
  })
  afterEach(() => {
    spawnSync(process.execPath, [CLI_BIN, 'worker', 'stop', '--force'], { env, timeout: 20_000 })
    for (const c of children.splice(0)) c.kill('SIGKILL')
  })
  afterAll(async () => {
    await server?.close()
    await removeTempDir(work)
  })
  const settings = (extra: Record<string, unknown> = {}) =>
    writeFile(join(home, 'settings.json'), JSON.stringify({ modelsRoot: models, ...extra }))
  // Asynchronous: the servers live in this process, and a spawnSync would stop them answering.
  const run = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_BIN, ...args], { env })
      children.push(child)
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.once('error', reject)
      child.once('close', (status) => resolve({ status, stdout, stderr }))
    })

  it('looks up the name, size and sha256 of a CivitAI URL and fetches it through the queue', async () => {
    await settings()
    const { file, url } = server.addCivitai(777, 'detail_tweaker.safetensors', 3 * MiB + 5)
    const r = await run('download', 'single', url, '--to', join(models, 'loras'), '--wait')
    expect(r.status, r.stderr).toBe(0)
    const target = join(models, 'loras', 'detail_tweaker.safetensors')
    expect(await sha256File(target)).toBe(file.sha256)
    const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as {
      records: Array<{ id: string; url?: string; verifiedBy?: string[] }>
    }
    const record = state.records.find((x) => x.id === target)!
    expect(record.url).toBe(url)
    expect(record.verifiedBy).toEqual(['sha256 from the server'])
    for (const text of [r.stdout, r.stderr, readFileSync(join(home, 'modeldl.log'), 'utf8')]) {
      expect(text).not.toContain(server.civitaiToken)
      expect(text).not.toContain(server.hfToken)
    }
  }, 60_000)

  it('refuses a file: URL and a folder outside the models root', async () => {
    await settings()
    const bad = await run('download', 'single', 'file:///etc/passwd', '--to', models)
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/only https/)
    const { url } = server.addHf('org/outside', 'x.safetensors', 1000)
    const outside = await run('download', 'single', url, '--to', join(work, 'elsewhere'))
    expect(outside.status).not.toBe(0)
    expect(outside.stderr).toMatch(/models root|outside/i)
  }, 60_000)

  it('SIGKILL mid-download of a Hugging Face URL: the next run resumes from the partial file', async () => {
    await settings({ bandwidthLimitBps: 4 * MiB })
    const { file, url } = server.addHf('org/big', 'big.safetensors', 24 * MiB)
    const target = join(models, 'checkpoints', 'big.safetensors')
    const owner = spawn(
      process.execPath,
      [CLI_BIN, 'download', 'single', url, '--to', join(models, 'checkpoints'), '--wait'],
      { env },
    )
    children.push(owner)
    const deadline = Date.now() + 30_000
    while (!existsSync(`${target}.part.json`) && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 100))
    await new Promise((res) => setTimeout(res, 1500))
    owner.kill('SIGKILL')
    await new Promise((res) => owner.once('exit', res))
    expect(existsSync(target)).toBe(false)
    const sidecar = JSON.parse(readFileSync(`${target}.part.json`, 'utf8')) as { ranges: [number, number][] }
    const kept = sidecar.ranges.reduce((t, [a, b]) => t + b - a, 0)
    expect(kept).toBeGreaterThan(2 * MiB)
    await settings()
    const before = server.requests.length
    // The lock of the killed owner goes stale within ~10 s; until then this run waits for it.
    const r = await run('download', 'single', url, '--to', join(models, 'checkpoints'), '--wait')
    expect(r.status, r.stderr).toBe(0)
    expect(await sha256File(target)).toBe(file.sha256)
    const gets = server.requests.slice(before).filter((q) => q.host === 'localhost' && q.method === 'GET')
    const starts = gets.map((q) => Number(/bytes=(\d+)-/.exec(q.range ?? '')?.[1] ?? 0))
    expect(Math.min(...starts)).toBeGreaterThan(0)
    expect(gets.every((q) => q.authorization === undefined)).toBe(true)
  }, 120_000)
})
