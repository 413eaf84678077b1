import { HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deterministicBytes, startS3Server } from './s3-server'
import type { TestS3Server } from './s3-server'
import { fileExists, makeTempDir, removeTempDir, sha256File, tempDirs } from './temp'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return check()
}

describe('startS3Server', () => {
  let s3: TestS3Server

  beforeAll(async () => {
    s3 = await startS3Server()
  })

  afterAll(async () => {
    await s3?.close()
  })

  it('serves the bucket on 127.0.0.1 with the test credentials', async () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(s3.bucket).toBe('models')
    expect(s3.region).toBe('us-east-1')
    expect(s3.credentials).toEqual({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' })
    expect(s3.env).toEqual({
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
    })
    expect(s3.envFor('http://127.0.0.1:1').AWS_ENDPOINT_URL_S3).toBe('http://127.0.0.1:1')
    const head = await s3.client.send(new HeadBucketCommand({ Bucket: 'models' }))
    expect(head.$metadata.httpStatusCode).toBe(200)
    expect(await fileExists(s3.dir)).toBe(true)
  })

  it('put stores Buffer bodies byte for byte and returns the quoted MD5 ETag', async () => {
    const body = Buffer.from('model weights')
    const { etag } = await s3.put('dir/a b+c.txt', body)
    expect(etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`)
    expect((await s3.get('dir/a b+c.txt')).equals(body)).toBe(true)
  })

  it('putRandom is deterministic per seed, differs per key without one, and reports sha256', async () => {
    const a = await s3.putRandom('r/a.bin', 10_000, 42)
    const b = await s3.putRandom('r/b.bin', 10_000, 42)
    const c = await s3.putRandom('r/c.bin', 10_000)
    const d = await s3.putRandom('r/d.bin', 10_000)
    expect(a.body.equals(b.body)).toBe(true)
    expect(a.etag).toBe(b.etag)
    expect(c.body.equals(d.body)).toBe(false)
    expect(a.sha256).toBe(createHash('sha256').update(a.body).digest('hex'))
    expect((await s3.get('r/a.bin')).equals(a.body)).toBe(true)
    for (const [start, end] of [
      [0, 1],
      [15, 17],
      [16, 32],
      [4097, 9999],
      [9990, 20_000],
    ] as const) {
      expect(a.slice(start, end).equals(a.body.subarray(start, end))).toBe(true)
    }
    expect(a.body.subarray(0, 64).equals(Buffer.alloc(64))).toBe(false)
  })

  it('deterministicBytes is seekable: any slice equals the same bytes of the whole stream', () => {
    const whole = deterministicBytes(7, 0, 100_000)
    for (const offset of [0, 1, 15, 16, 17, 65_535, 99_999]) {
      const length = Math.min(1234, 100_000 - offset)
      expect(deterministicBytes(7, offset, length).equals(whole.subarray(offset, offset + length))).toBe(true)
    }
    expect(deterministicBytes(8, 0, 32).equals(whole.subarray(0, 32))).toBe(false)
  })

  it('putRandom can force a multipart upload (s3rver gives it a plain MD5 ETag)', async () => {
    const big = await s3.putRandom('r/multi.bin', 300_000, 3, { multipart: true, partSize: 128 * 1024 })
    const back = await s3.get('r/multi.bin')
    expect(back.length).toBe(300_000)
    expect(createHash('sha256').update(back).digest('hex')).toBe(big.sha256)
    expect(back.equals(big.body)).toBe(true)
    expect(big.etag).toMatch(/^"[0-9a-f]{32}"$/) // real S3 would answer "<md5 of part md5s>-3"
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'models', Key: 'r/multi.bin' }))
    expect(head.ContentLength).toBe(300_000)

    // A part size that is not a multiple of 4 takes the copying path: same bytes for the same seed.
    const odd = await s3.putRandom('r/odd.bin', 300_000, 3, { multipart: true, partSize: 100_001 })
    expect(odd.sha256).toBe(big.sha256)
    expect((await s3.get('r/odd.bin')).equals(back)).toBe(true)
  })

  it('truncated ListObjectsV2 works (needs --openssl-legacy-provider in the child)', async () => {
    for (let i = 0; i < 5; i++) await s3.put(`list/k${i}`, Buffer.from(String(i)))
    const keys: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: 'models', Prefix: 'list/', MaxKeys: 2, ContinuationToken: token }),
      )
      pages++
      keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''))
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    expect(pages).toBe(3)
    expect(keys).toEqual(['list/k0', 'list/k1', 'list/k2', 'list/k3', 'list/k4'])
  })

  it('close kills the child and removes its directory', async () => {
    const other = await startS3Server({ bucket: 'other' })
    expect(other.bucket).toBe('other')
    await other.client.send(new HeadBucketCommand({ Bucket: 'other' }))
    expect(isAlive(other.pid)).toBe(true)
    await other.close()
    expect(isAlive(other.pid)).toBe(false)
    expect(await fileExists(other.dir)).toBe(false)
    await other.close() // twice is fine
  })

  it('the child dies with the process that started it, even on SIGKILL', async () => {
    const dir = await makeTempDir('modeldl-orphan-')
    try {
      const script = join(dir, 'owner.mts')
      const support = fileURLToPath(new URL('./s3-server.ts', import.meta.url))
      await writeFile(
        script,
        `import { startS3Server } from ${JSON.stringify(support)}\n` +
          `const s3 = await startS3Server()\n` +
          `console.log(JSON.stringify({ pid: s3.pid, dir: s3.dir }))\n` +
          `setInterval(() => {}, 1000)\n`,
      )
      const owner = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        owner.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const nl = out.indexOf('\n')
          if (nl !== -1) resolve(out.slice(0, nl))
        })
        owner.once('exit', (code) => reject(new Error(`owner exited early: ${code}`)))
      })
      const { pid, dir: s3dir } = JSON.parse(line) as { pid: number; dir: string }
      expect(isAlive(pid)).toBe(true)
      owner.kill('SIGKILL')
      expect(await waitUntil(() => !isAlive(pid), 5_000)).toBe(true)
      expect(await waitUntil(async () => !(await fileExists(s3dir)), 2_000)).toBe(true)
    } finally {
      await removeTempDir(dir)
    }
  })
})

describe('temp helpers', () => {
  const temp = tempDirs()
  afterAll(() => temp.cleanup())

  it('makes, hashes and removes', async () => {
    const dir = await temp.make('support-')
    const file = join(dir, 'x.bin')
    expect(await fileExists(file)).toBe(false)
    await writeFile(file, 'abc')
    expect(await fileExists(file)).toBe(true)
    expect(await sha256File(file)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    await temp.cleanup()
    expect(await fileExists(dir)).toBe(false)
  })
})
