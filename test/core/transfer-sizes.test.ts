import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { sha256File } from '../support/temp'
import { KiB, leftovers, startHarness, TEST_TUNING, type Harness } from './transfer-harness'

const P = TEST_TUNING.partSize

describe('runTransfer: sizes and layouts', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => h?.close())

  const sizes = [0, 1, 1000, P - 1, P, P + 1, 3 * P - 1, 3 * P + 17, 7 * P + 5]
  for (const size of sizes) {
    for (const connections of [1, 3]) {
      it(`${size} bytes with ${connections} connection(s): exact bytes, verified, nothing left over`, async () => {
        const key = `sizes/${size}-${connections}.safetensors`
        const obj = await h.s3.putRandom(key, size)
        const result = await h.download(
          { s3Uri: `s3://models/${key}`, expectedSize: size },
          { tuning: { connectionsPerFile: connections } },
        )
        expect(result.size).toBe(size)
        expect(await sha256File(result.localPath)).toBe(obj.sha256)
        expect(result.verified.map((v) => v.algorithm)).toEqual(['md5-etag'])
        expect(leftovers(result.localPath)).toEqual([])
      })
    }
  }

  it('splits a large object into ranged GETs that carry If-Match and cover it exactly once', async () => {
    const size = 5 * P + 123
    const obj = await h.s3.putRandom('ranges/five.safetensors', size)
    h.proxy.resetLog()
    const result = await h.download({ s3Uri: 's3://models/ranges/five.safetensors' })
    expect(await sha256File(result.localPath)).toBe(obj.sha256)
    const gets = h.proxy.requests.filter((r) => r.method === 'GET')
    expect(gets).toHaveLength(6)
    for (const g of gets) {
      expect(g.ifMatch).toBe(obj.etag)
      expect(g.range).toMatch(/^bytes=\d+-\d+$/)
    }
    expect(h.proxy.totalBodyBytes((r) => r.method === 'GET')).toBe(size)
  })

  it('checks the job sha256 and S3 checksum headers instead of the ETag when they exist', async () => {
    const obj = await h.s3.putRandom('checks/sha.safetensors', 300 * KiB)
    const result = await h.download({ s3Uri: 's3://models/checks/sha.safetensors', sha256: obj.sha256 })
    expect(result.verified).toEqual([{ algorithm: 'sha256', source: 'job', value: obj.sha256 }])
  })
})
