// Settings' Test connection against a real s3rver behind the project's fault proxy: a store that fails
// a one-key listing (as the demo's s3rver does) but serves its bucket and objects is a working source,
// and no answer that will come back the same says "try again later".
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { testConnection } from '../../../src/core/app/test-connection'
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy'
import type { S3Settings } from '../../../src/shared/transfer'
import { startS3Server, TEST_CREDENTIALS, TEST_REGION, type TestS3Server } from '../../support/s3-server'

let s3: TestS3Server
let proxy: FaultProxy
let settings: S3Settings
/** Nothing from this process's environment: the settings say everything. */
const env = {}
const bucket = { kind: 'bucket', bucket: 'models', prefix: '' } as const
const LIST_FAILS = {
  match: { method: 'GET', queryIncludes: 'list-type=2' },
  fault: { kind: 'status', status: 500, code: 'InternalError', message: 'We encountered an internal error.' },
} as const

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  await s3.putRandom('models/vae/a.safetensors', 1000)
  await s3.putRandom('models/vae/b.safetensors', 1000)
  proxy = await startFaultProxy(s3.endpoint)
  settings = { endpoint: proxy.url, region: TEST_REGION, forcePathStyle: true, ...TEST_CREDENTIALS }
})
afterAll(async () => {
  await proxy?.close()
  await s3?.close()
})
beforeEach(() => {
  proxy.clearRules()
  proxy.resetLog()
})

describe('Test connection', () => {
  it('lists the bucket when the store can', async () => {
    const result = await testConnection(settings, bucket, env)
    expect(result).toMatchObject({ ok: true, message: 'Connected: s3://models/ can be listed.' })
  })

  it('falls back to a HEAD of the bucket when the listing fails on the server side', async () => {
    proxy.setRules([LIST_FAILS])
    const result = await testConnection(settings, bucket, env)
    expect(result.ok).toBe(true)
    expect(result.message).toMatch(/the bucket "models" is there, and downloads from it can work/)
    expect(result.message).toMatch(/Listing s3:\/\/models\/ failed \(InternalError, HTTP 500\)/)
    // Both requests really went to the store.
    expect(proxy.requests.map((r) => r.method)).toEqual(['GET', 'HEAD'])
  })

  it('says the store reports an error, not "try again later", when the bucket fails too', async () => {
    proxy.setRules([
      LIST_FAILS,
      { match: { method: 'HEAD' }, fault: { kind: 'status', status: 500, code: 'InternalError' } },
    ])
    const result = await testConnection(settings, bucket, env)
    expect(result.ok).toBe(false)
    expect(result.message).toMatch(/failed a listing of s3:\/\/models\/ \(InternalError, HTTP 500\)/)
    expect(result.message).toMatch(/a HEAD of the bucket "models" \(.*500\)/)
    expect(result.message).toMatch(/Check its logs/)
    expect(result.message).not.toMatch(/later/i)
  })

  it('advises waiting only when the store says it is busy', async () => {
    proxy.setRules([{ match: { method: 'HEAD' }, fault: { kind: 'status', status: 503, code: 'SlowDown' } }])
    const busy = await testConnection(
      settings,
      { kind: 'object', bucket: 'models', key: 'models/vae/a.safetensors' },
      env,
    )
    expect(busy).toMatchObject({
      ok: false,
      message: expect.stringMatching(/is busy \(.*503\): try again in a minute/),
    })

    proxy.setRules([
      { match: { method: 'HEAD' }, fault: { kind: 'status', status: 500, code: 'InternalError' } },
    ])
    const broken = await testConnection(
      settings,
      { kind: 'object', bucket: 'models', key: 'models/vae/a.safetensors' },
      env,
    )
    expect(broken.ok).toBe(false)
    expect(broken.message).toMatch(/the store itself reports an error/)
    expect(broken.message).not.toMatch(/later|minute/i)
  })
})
