// MODELDL_HTTP=sdk: the same transfers over the SDK's own request handler instead of our HTTP/1.1
// client, so the benchmark can compare the two.
import { describe, expect, it } from 'vitest'
import { sha256File } from '../support/temp'
import { MiB, TEST_TUNING, useHarness, type Harness } from './transfer-harness'

describe('the SDK handler switch', () => {
  let h: Harness
  useHarness((started) => (h = started))

  for (const [label, env, viaSdk] of [
    ['MODELDL_HTTP=sdk: every GET through the SDK', { MODELDL_HTTP: 'sdk' }, true],
    ['default: GETs signed and sent by our own client', {}, false],
  ] as const) {
    it(label, async () => {
      const obj = await h.s3.putRandom(`sdk/${viaSdk}.bin`, 3 * MiB)
      const tuning = { ...TEST_TUNING, partSize: MiB }
      const store = h.store(tuning, {}, env)
      const result = await h.download({ s3Uri: `s3://models/sdk/${viaSdk}.bin` }, { tuning, store })
      expect(await sha256File(result.localPath)).toBe(obj.sha256)
      const gets = h.proxy.requests.filter((r) => r.method === 'GET')
      expect(gets.length).toBeGreaterThanOrEqual(3)
      expect(gets.every((r) => r.viaSdk === viaSdk)).toBe(true)
    })
  }
})
