import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BandwidthLimiter } from '../../src/core/transfer/bandwidth-limiter'
import { HttpSources } from '../../src/core/transfer/http-source/http-sources'
import { ObjectStore } from '../../src/core/transfer/object-store'
import { runTransfer } from '../../src/core/transfer/transfer'
import type { TransferJob, TransferTuning } from '../../src/shared/transfer'
import { startModelHostsServer, type ModelHostsServer } from '../support/model-hosts-server'
import { makeTestCertificates } from '../support/tls-ca'
import { makeTempDir, removeTempDir, sha256File } from '../support/temp'
import { KiB, TEST_TUNING, expectFailure, leftovers } from './transfer-harness'

const SIZE = 5 * 256 * KiB + 777

describe('runTransfer from https URLs (Hugging Face and CivitAI look-alikes)', () => {
  let dir: string
  let server: ModelHostsServer
  let ca: string
  const store = new ObjectStore({ region: 'us-east-1' }, TEST_TUNING, {})
  const sources: HttpSources[] = []
  let n = 0
  beforeAll(async () => {
    dir = await makeTempDir('modeldl-http-')
    const certs = makeTestCertificates(dir)
    ca = certs.ca
    server = await startModelHostsServer(certs)
  })
  afterAll(async () => {
    for (const s of sources) s.destroy()
    store.destroy()
    await server?.close()
    await removeTempDir(dir)
  })

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    HF_ENDPOINT: server.origin,
    CIVITAI_BASE_URL: server.origin,
    ...extra,
  })
  const logs: string[] = []
  const download = (
    url: string,
    options: {
      env?: Record<string, string>
      tuning?: Partial<TransferTuning>
      job?: Partial<TransferJob>
      signal?: AbortSignal
      limiter?: BandwidthLimiter
      onBytes?(done: number): void
    } = {},
  ): ReturnType<typeof runTransfer> => {
    const tuning = { ...TEST_TUNING, ...options.tuning }
    const http = new HttpSources({ env: options.env ?? env(), ca: [ca], tuning })
    sources.push(http)
    return runTransfer(
      { id: `j${++n}`, url, localPath: join(dir, `m${n}.safetensors`), ...options.job },
      {
        store,
        http,
        tuning,
        limiter: options.limiter ?? new BandwidthLimiter(0),
        signal: options.signal ?? new AbortController().signal,
        onProgress: (p) => options.onBytes?.(p.bytesDone),
        log: (level, message) => logs.push(`${level}: ${message}`),
      },
    )
  }

  it('follows the resolve redirect to the CDN, fetches ranges in parallel and verifies X-Linked-Etag', async () => {
    const { file, url } = server.addHf('org/model', 'unet/model.safetensors', SIZE)
    const before = server.requests.length
    const result = await download(url)
    expect(await sha256File(result.localPath)).toBe(file.sha256)
    expect(result.verified).toEqual([{ algorithm: 'sha256', source: 'server', value: file.sha256 }])
    const seen = server.requests.slice(before)
    // HF_ENDPOINT is where huggingface.co was asked; the bytes came from the CDN host, in ranges with If-Range.
    expect(
      seen.some((r) => r.host === '127.0.0.1' && r.path === '/org/model/resolve/main/unet/model.safetensors'),
    ).toBe(true)
    const ranged = seen.filter((r) => r.host === 'localhost' && r.method === 'GET' && r.range)
    expect(ranged.length).toBeGreaterThanOrEqual(5)
    expect(ranged.every((r) => r.ifRange === file.etag)).toBe(true)
  })

  it('sends HF_TOKEN to the Hugging Face host only, never to the CDN; refuses a gated file without it', async () => {
    const { file, url } = server.addHf('org/gated', 'model.safetensors', SIZE, { gated: true })
    const denied = await expectFailure(download(url), 'access_denied')
    expect(denied.message).toMatch(/HF_TOKEN/)
    const before = server.requests.length
    const result = await download(url, { env: env({ HF_TOKEN: server.hfToken }) })
    expect(await sha256File(result.localPath)).toBe(file.sha256)
    const seen = server.requests.slice(before)
    expect(
      seen.filter((r) => r.host === '127.0.0.1').every((r) => r.authorization === `Bearer ${server.hfToken}`),
    ).toBe(true)
    expect(seen.filter((r) => r.host === 'localhost').length).toBeGreaterThan(0)
    expect(seen.filter((r) => r.host === 'localhost').every((r) => r.authorization === undefined)).toBe(true)
    expect(logs.join('\n')).not.toContain(server.hfToken)
  })

  it('resumes a paused download from its sidecar', async () => {
    const { file, url } = server.addHf('org/resume', 'big.safetensors', 4 * SIZE)
    const job = { localPath: join(dir, 'resume.safetensors') }
    const stop = new AbortController()
    const paused = download(url, {
      job,
      tuning: { connectionsPerFile: 1 },
      limiter: new BandwidthLimiter(2 * 1024 * 1024),
      signal: stop.signal,
      onBytes: (done) => {
        if (done >= SIZE) stop.abort('paused')
      },
    })
    await expect(paused).rejects.toMatchObject({ reason: 'paused' })
    expect(existsSync(job.localPath)).toBe(false)
    expect(leftovers(job.localPath)).toHaveLength(2)
    const result = await download(url, { job })
    expect(result.bytesResumed).toBeGreaterThanOrEqual(SIZE)
    expect(await sha256File(job.localPath)).toBe(file.sha256)
  })

  it('starts again when the file changes mid-way (If-Range answers the whole file)', async () => {
    const { file, url } = server.addHf('org/changes', 'model.safetensors', 3 * SIZE)
    let changed = false
    const result = await download(url, {
      tuning: { connectionsPerFile: 2 },
      limiter: new BandwidthLimiter(4 * 1024 * 1024),
      onBytes: (done) => {
        if (!changed && done > 0) {
          changed = true
          file.etag = '"new-version"'
        }
      },
    })
    expect(changed).toBe(true)
    expect(logs.some((l) => /changed on the server/.test(l))).toBe(true)
    expect(await sha256File(result.localPath)).toBe(file.sha256)
  })

  it('fetches from a server without byte ranges in one stream', async () => {
    const { file, url } = server.addHf('org/no-ranges', 'model.safetensors', SIZE, { noRanges: true })
    const before = server.requests.length
    const result = await download(url, { tuning: { connectionsPerFile: 3 } })
    expect(await sha256File(result.localPath)).toBe(file.sha256)
    const gets = server.requests.slice(before).filter((r) => r.host === 'localhost' && r.method === 'GET')
    expect(gets.map((r) => r.range)).toEqual([undefined])
  })

  it('fails on a sha256 mismatch and leaves nothing behind', async () => {
    const { url } = server.addHf('org/bad', 'model.safetensors', SIZE, { claimedSha256: 'a'.repeat(64) })
    const localPath = join(dir, 'bad.safetensors')
    await expectFailure(download(url, { job: { localPath } }), 'checksum_mismatch')
    expect(existsSync(localPath)).toBe(false)
    expect(leftovers(localPath)).toEqual([])
  })

  it('fails when the server sends fewer bytes than its Content-Length, with no file at the path', async () => {
    const { url } = server.addHf('org/short', 'model.safetensors', SIZE, { shortBody: 1000 })
    const localPath = join(dir, 'short.safetensors')
    await expectFailure(download(url, { job: { localPath }, tuning: { maxAttempts: 2 } }), 'size_mismatch')
    expect(existsSync(localPath)).toBe(false)
  })

  it('fails when Content-Range lies about the total size', async () => {
    const { url } = server.addHf('org/range-lie', 'model.safetensors', SIZE, { rangeTotal: SIZE + 5 })
    const localPath = join(dir, 'range-lie.safetensors')
    await expectFailure(download(url, { job: { localPath } }), 'object_changed')
    expect(existsSync(localPath)).toBe(false)
  })

  for (const [what, target] of [
    ['file:', 'file:///etc/passwd'],
    ['http: (https to http)', 'http://localhost:1/cdn/x'],
    ['ftp:', 'ftp://localhost/x'],
  ] as const) {
    it(`refuses a redirect to ${what}`, async () => {
      const { url } = server.addHf('org/redirect', `${what.slice(0, 4)}.bin`, 1000, { redirectTo: target })
      const err = await expectFailure(download(url), 'unsafe_redirect')
      expect(err.message).toMatch(/only https/)
    })
  }

  it('refuses file: and http: URLs outright', async () => {
    await expectFailure(download('file:///etc/passwd'), 'invalid_job')
    await expectFailure(download(`http://127.0.0.1:1/x`), 'invalid_job')
  })

  it('CivitAI: token, the file name from Content-Disposition, the SHA256 from its API', async () => {
    const { file, url } = server.addCivitai(4242, 'myLora_v2.safetensors', SIZE)
    const http = new HttpSources({ env: env(), ca: [ca], tuning: TEST_TUNING })
    sources.push(http)
    await expectFailure(http.describe(url, new AbortController().signal), 'access_denied')
    const withToken = env({ CIVITAI_API_TOKEN: server.civitaiToken })
    const authed = new HttpSources({ env: withToken, ca: [ca], tuning: TEST_TUNING })
    sources.push(authed)
    const info = await authed.describe(url, new AbortController().signal)
    expect(info).toMatchObject({ size: SIZE, fileName: 'myLora_v2.safetensors' })
    expect(info.checksum).toEqual({ algorithm: 'sha256', hex: file.sha256, source: 'server' })
    const result = await download(url, { env: withToken })
    expect(result.verified.map((v) => v.source)).toEqual(['server'])
    expect(await sha256File(result.localPath)).toBe(file.sha256)
  })

  it('CivitAI: a published SHA256 that does not match fails the download', async () => {
    const { url } = server.addCivitai(4343, 'wrong.safetensors', SIZE, { claimedSha256: 'b'.repeat(64) })
    await expectFailure(
      download(url, { env: env({ CIVITAI_API_TOKEN: server.civitaiToken }) }),
      'checksum_mismatch',
    )
  })

  it('does not trust the test server without its CA', async () => {
    const { url } = server.addHf('org/tls', 'model.safetensors', 1000)
    const http = new HttpSources({ env: env(), tuning: { ...TEST_TUNING } })
    sources.push(http)
    const err = await expectFailure(http.describe(url, new AbortController().signal, 1), 'network')
    expect(err.message).toMatch(/certificate/)
  })
})
