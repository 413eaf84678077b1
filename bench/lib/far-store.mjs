// The far-store tier: nginx (see run.mjs) behind the project's fault proxy (bench/far-proxy-child.mts), which
// caps each GET at 25 MB/s and holds each request 30 ms, as a distant store does; the "-resets"
// variant also resets 2% of the connections. The clients reach it by a host name that is not
// loopback (FAR_HOST, an /etc/hosts alias of 127.0.0.1), so nothing can tell it is on this machine.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const FAR_HOST = 'far-store.test'
export const FAR_TIERS = {
  far: { bytesPerSecond: 25e6, delayMs: 30, resetShare: 0, note: '25 MB/s per GET, 30 ms per request' },
  'far-resets': {
    bytesPerSecond: 25e6,
    delayMs: 30,
    resetShare: 0.02,
    note: '25 MB/s per GET, 30 ms per request, 2% of connections reset',
  },
}

/** Makes FAR_HOST resolve to 127.0.0.1 (an /etc/hosts line; needs root once). Throws with what to do. */
export function ensureFarHost() {
  const hosts = fs.readFileSync('/etc/hosts', 'utf8')
  if (new RegExp(`^127\\.0\\.0\\.1\\s.*\\b${FAR_HOST.replace('.', '\\.')}\\b`, 'm').test(hosts)) return
  try {
    fs.appendFileSync('/etc/hosts', `\n127.0.0.1 ${FAR_HOST}\n`)
  } catch (err) {
    throw new Error(`the far tier needs "127.0.0.1 ${FAR_HOST}" in /etc/hosts (${err.code}); add it as root`)
  }
}

/** Starts one far tier in front of `upstream` (a started server); same shape as the other servers. */
export async function startFarStore(name, upstream, logFile) {
  const tier = FAR_TIERS[name]
  const log = fs.openSync(logFile, 'a')
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(here, '..', 'far-proxy-child.mts'),
      upstream.endpoint,
      String(tier.bytesPerSecond),
      String(tier.delayMs),
      String(tier.resetShare),
    ],
    { stdio: ['pipe', 'pipe', log], cwd: path.join(here, '..', '..') },
  )
  fs.closeSync(log)
  const replies = createInterface({ input: child.stdout })
  const waiting = []
  replies.on('line', (line) => waiting.shift()?.(JSON.parse(line)))
  const first = await new Promise((resolve, reject) => {
    waiting.push(resolve)
    child.once('exit', (code) => reject(new Error(`far proxy exited (${code}); see ${logFile}`)))
  })
  const cpu = () => {
    try {
      const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return (Number(f[11]) + Number(f[12])) / 100
    } catch {
      return 0
    }
  }
  return {
    name,
    note: tier.note,
    endpoint: `http://${FAR_HOST}:${first.port}`,
    pid: child.pid,
    // The store's CPU: the proxy and the server behind it.
    cpuSeconds: () => cpu() + upstream.cpuSeconds(),
    /** GETs since the last call: the most at once (connections used), how many, how many reset. */
    stats: () =>
      new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write('stats\n')
      }),
    stop: async () => {
      child.stdin.end()
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))
    },
    stopSync: () => child.kill('SIGKILL'),
  }
}
