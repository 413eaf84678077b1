// The far-store tier's server: the project's fault proxy (test/support/fault-proxy.ts) in front of
// the benchmark's nginx, in its own process, with the link a distant store gives: each GET capped at a rate, each
// request held a while, optionally a share of connections reset. Run by bench/lib/far-store.mjs
// with `node --import tsx`.
//
// argv: UPSTREAM_URL BYTES_PER_SECOND DELAY_MS RESET_SHARE
// stdout: one JSON line {"port": N} once listening; then, for each line "stats" on stdin, one JSON
// line {peak, gets, resets} about the GETs since the last "stats" (peak: the most served at once).
import { createInterface } from 'node:readline'
import { startFaultProxy, type FaultRule } from '../test/support/fault-proxy.ts'

const [upstream, bps, delayMs, resetShare] = process.argv.slice(2)
if (!upstream || !bps || !delayMs || resetShare === undefined) {
  console.error('usage: far-proxy-child.mts UPSTREAM BYTES_PER_SECOND DELAY_MS RESET_SHARE')
  process.exit(2)
}
const proxy = await startFaultProxy(upstream)
const rules: FaultRule[] = [
  { fault: { kind: 'delay', ms: Number(delayMs) } },
  { match: { method: 'GET' }, fault: { kind: 'throttle', bytesPerSecond: Number(bps) } },
]
// A reset somewhere in the first MiB of the body: the client must retry the rest of its range.
if (Number(resetShare) > 0)
  rules.push({
    match: { method: 'GET' },
    probability: Number(resetShare),
    fault: { kind: 'reset-after', bytes: 512 * 1024 },
  })
proxy.setRules(rules)

// The peak of GETs open at once, sampled as requests come and go.
let peak = 0
const sample = (): void => {
  const open = proxy.requests.filter((r) => r.method === 'GET' && !r.done).length
  peak = Math.max(peak, open)
}
const timer = setInterval(sample, 5)

process.stdout.write(`${JSON.stringify({ port: Number(new URL(proxy.url).port) })}\n`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() !== 'stats') return
  sample()
  const gets = proxy.requests.filter((r) => r.method === 'GET')
  const resets = gets.filter((r) => r.faults.includes('reset-after')).length
  process.stdout.write(`${JSON.stringify({ peak, gets: gets.length, resets })}\n`)
  peak = 0
  proxy.resetLog()
})
lines.on('close', () => {
  clearInterval(timer)
  void proxy.close().then(() => process.exit(0))
})
