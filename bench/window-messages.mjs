#!/usr/bin/env node
// Messages a window receives while 50 downloads run (issue 18): s3rver with 50 objects behind a proxy
// that caps each connection (so all 50 keep running), `modeldl serve --ui` with concurrency 50 and a
// fresh state folder, then two clients of its WebSocket, each over a 10 s window while all 50 run:
//   script    a bare WebSocket client (`ws`) that only enqueues: what the server pushes by itself;
//   chromium  the real window (playwright-core, Debian's Chromium) that clicks "Download missing": what
//             a window receives and sends, its own re-lists and polls included.
// Usage: node bench/window-messages.mjs [--app DIR] [--clients script,chromium] [--json]
// DIR is a built checkout (`npx electron-vite build` there); default: this one.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startS3rver } from './lib/servers.mjs'
import { startThrottleProxy } from './lib/throttle-proxy.mjs'

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MiB = 1024 * 1024
const MODELS = 50
const OBJECT_BYTES = 8 * MiB
/** Per connection: 8 MiB at 256 KiB/s is 32 s a download, so all 50 outlast the window. */
const CAP_BPS = 256 * 1024
const WINDOW_MS = 10_000
const CHROMIUM = '/usr/bin/chromium'

const { values: opts } = parseArgs({
  options: {
    app: { type: 'string', default: repoDir },
    clients: { type: 'string', default: 'script,chromium' },
    json: { type: 'boolean', default: false },
  },
})
const appDir = path.resolve(opts.app)
const clients = opts.clients.split(',').filter(Boolean)
const log = (m) => process.stderr.write(`${m}\n`)

/** The 50 objects as s3rver's own files (no upload): one random body hard-linked 50 times. */
function layoutObjects(s3dir, work) {
  const body = randomBytes(OBJECT_BYTES)
  const md5 = createHash('md5').update(body).digest('hex')
  const source = path.join(work, 'body.bin')
  fs.writeFileSync(source, body)
  const dir = path.join(s3dir, 'bench', 'models', 'loras')
  fs.mkdirSync(dir, { recursive: true })
  const names = []
  for (let i = 1; i <= MODELS; i++) {
    const name = `lora_${String(i).padStart(2, '0')}.safetensors`
    const obj = path.join(dir, `${name}._S3rver_object`)
    fs.linkSync(source, obj)
    fs.writeFileSync(`${obj}.md5`, md5)
    fs.writeFileSync(
      path.join(dir, `${name}._S3rver_metadata.json`),
      JSON.stringify({ 'content-type': 'application/octet-stream' }),
    )
    names.push(name)
  }
  return names
}

/** The old system's nested config for the 50 objects. */
function nestedConfig(names) {
  const group = {}
  for (const name of names)
    group[name.replace(/\.[^.]+$/, '')] = {
      originalS3Path: `models/loras/${name}`,
      localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/loras/${name}`,
      modelName: name,
      modelSize: OBJECT_BYTES,
      directoryGroup: 'loras',
    }
  return { loras: group }
}

/** `modeldl serve --ui` of the app under test, with a fresh state folder; resolves once it printed its URL. */
async function startServe(work, endpoint, configFile) {
  const home = path.join(work, 'home')
  const nv = path.join(work, 'volume')
  fs.rmSync(home, { recursive: true, force: true })
  fs.rmSync(nv, { recursive: true, force: true })
  fs.mkdirSync(home, { recursive: true })
  fs.mkdirSync(nv, { recursive: true })
  fs.writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ concurrency: MODELS }))
  const child = spawn(
    process.execPath,
    [path.join(appDir, 'bin/modeldl.js'), 'serve', '--ui', '--port', '0', '--config', configFile],
    {
      env: {
        PATH: process.env.PATH,
        HOME: work,
        MODELDL_HOME: home,
        NETWORK_VOLUME: nv,
        AWS_BUCKET_NAME: 'bench',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_S3: endpoint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no UI line:\n${stderr}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(kill)
  }
  return { url, nv, stop, stderr: () => stderr }
}

/** Counts frames by kind: `event <channel>`, `result <channel>` (the invoke it answers), `invoke <channel>`. */
class FrameCounter {
  constructor() {
    this.counting = false
    this.channelOf = new Map()
    this.reset()
  }
  reset() {
    this.received = { frames: 0, bytes: 0, byKind: {} }
    this.sent = { frames: 0, bytes: 0, byKind: {} }
  }
  sentFrame(text) {
    const f = parse(text)
    if (f?.type === 'invoke') this.channelOf.set(f.id, f.channel)
    if (this.counting) add(this.sent, `${f?.type ?? '?'} ${f?.channel ?? ''}`.trim(), text)
  }
  receivedFrame(text) {
    if (!this.counting) return
    const f = parse(text)
    const channel = f?.type === 'result' ? this.channelOf.get(f.id) : f?.channel
    add(this.received, `${f?.type ?? '?'} ${channel ?? ''}`.trim(), text)
  }
}
function parse(text) {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
function add(side, kind, text) {
  side.frames++
  side.bytes += Buffer.byteLength(text)
  side.byKind[kind] = (side.byKind[kind] ?? 0) + 1
}

/** A bare client: the same URL, cookie and origin as the window; it enqueues the 50 and listens. */
async function measureScript(serve, names) {
  const { default: WebSocket } = await import('ws')
  const page = new URL(serve.url)
  const origin = page.origin
  const counter = new FrameCounter()
  const ws = new WebSocket(`ws://${page.host}/api`, {
    headers: { Cookie: `modeldl_token_${page.port}=${page.searchParams.get('token')}`, Origin: origin },
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let nextId = 1
  const waiting = new Map()
  ws.on('message', (data) => {
    const text = data.toString()
    counter.receivedFrame(text)
    const f = parse(text)
    if (f?.type === 'result' && waiting.has(f.id)) {
      waiting.get(f.id)(f)
      waiting.delete(f.id)
    }
  })
  const invoke = (channel, request) =>
    new Promise((resolve, reject) => {
      const id = nextId++
      waiting.set(id, (f) =>
        f.ok ? resolve(f.result) : reject(new Error(`${channel}: ${f.error?.message}`)),
      )
      const text = JSON.stringify({
        type: 'invoke',
        id,
        channel,
        ...(request === undefined ? {} : { request }),
      })
      counter.sentFrame(text)
      ws.send(text)
    })
  const root = path.join(serve.nv, 'ComfyUI/models/loras')
  const probe = await statusProbe(serve)
  try {
    return await countPhases(counter, probe, () =>
      invoke('downloads:enqueue', {
        entries: names.map((name) => ({
          group: 'loras',
          modelName: name,
          s3Uri: `s3://bench/models/loras/${name}`,
          localPath: path.join(root, name),
          expectedSize: OBJECT_BYTES,
        })),
      }),
    )
  } finally {
    probe.close()
    ws.close()
  }
}

/** The real window: Chromium loads the served UI, clicks "Download missing", and every frame is counted. */
async function measureChromium(serve) {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const counter = new FrameCounter()
    page.on('websocket', (ws) => {
      ws.on('framesent', ({ payload }) => counter.sentFrame(String(payload)))
      ws.on('framereceived', ({ payload }) => counter.receivedFrame(String(payload)))
    })
    await page.goto(serve.url)
    const button = page.getByRole('button', { name: /Download missing/ })
    await button.waitFor({ timeout: 30_000 })
    // The button counts the missing models once the config and the disk are known.
    const deadline = Date.now() + 30_000
    while (!(await button.innerText()).includes(`(${MODELS})`)) {
      if (Date.now() > deadline)
        throw new Error(`the window never offered all ${MODELS}: ${await button.innerText()}`)
      await page.waitForTimeout(100)
    }
    // Asked over a second, uncounted connection so the window's own traffic is all that is counted.
    const probe = await statusProbe(serve)
    try {
      return await countPhases(counter, probe, () => button.click())
    } finally {
      probe.close()
    }
  } finally {
    await browser.close()
  }
}

/** A side connection for downloads:status only (its frames are not counted). */
async function statusProbe(serve) {
  const { default: WebSocket } = await import('ws')
  const page = new URL(serve.url)
  const ws = new WebSocket(`ws://${page.host}/api`, {
    headers: { Cookie: `modeldl_token_${page.port}=${page.searchParams.get('token')}`, Origin: page.origin },
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let id = 0
  const invoke = (channel) =>
    new Promise((resolve) => {
      const mine = ++id
      const onMessage = (data) => {
        const f = parse(data.toString())
        if (f?.type === 'result' && f.id === mine) {
          ws.off('message', onMessage)
          resolve(f.result)
        }
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ type: 'invoke', id: mine, channel }))
    })
  const counts = async () => (await invoke('downloads:status'))?.counts ?? {}
  return {
    running: async () => (await counts()).progress ?? 0,
    completed: async () => (await counts()).completed ?? 0,
    close: () => ws.close(),
  }
}

/**
 * Counts three windows: `start` (the 10 s from the click or enqueue: 50 queued, then running), `steady`
 * (10 s while all 50 run) and `finish` (from a few seconds before the first completes until all have).
 */
async function countPhases(counter, probe, begin) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const t0 = performance.now()
  const phases = {}
  const phase = async (name, until) => {
    counter.reset()
    counter.counting = true
    const start = performance.now()
    const runningAtStart = await probe.running()
    await until()
    counter.counting = false
    phases[name] = summary(counter, (performance.now() - start) / 1000, runningAtStart, await probe.running())
  }
  await phase('start', async () => {
    await begin()
    await sleep(WINDOW_MS - (performance.now() - t0))
  })
  await sleep(1_000)
  await phase('steady', () => sleep(WINDOW_MS))
  const downloadMs = (OBJECT_BYTES / CAP_BPS) * 1000
  await sleep(Math.max(0, downloadMs - 6_000 - (performance.now() - t0)))
  await phase('finish', async () => {
    const deadline = performance.now() + 30_000
    while ((await probe.completed()) < MODELS && performance.now() < deadline) await sleep(500)
    await sleep(1_000)
  })
  return phases
}

function summary(counter, seconds, runningAtStart, runningAtEnd) {
  const rate = (n) => Math.round((n / seconds) * 10) / 10
  const perSecond = (byKind) =>
    Object.fromEntries(
      Object.entries(byKind)
        .sort(([, a], [, b]) => b - a)
        .map(([k, n]) => [k, rate(n)]),
    )
  return {
    seconds: Math.round(seconds * 100) / 100,
    runningAtStart,
    runningAtEnd,
    receivedFrames: counter.received.frames,
    receivedFramesPerSecond: rate(counter.received.frames),
    receivedBytesPerSecond: Math.round(counter.received.bytes / seconds),
    sentFrames: counter.sent.frames,
    sentFramesPerSecond: rate(counter.sent.frames),
    receivedByKind: perSecond(counter.received.byKind),
    sentByKind: perSecond(counter.sent.byKind),
  }
}

function printTable(results) {
  const rows = [['client', 'phase', 'seconds', 'running', 'recv frames/s', 'recv KiB/s', 'sent frames/s']]
  for (const [client, phases] of Object.entries(results))
    for (const [name, r] of Object.entries(phases))
      rows.push([
        client,
        name,
        r.seconds.toFixed(1),
        `${r.runningAtStart}→${r.runningAtEnd}`,
        String(r.receivedFramesPerSecond),
        (r.receivedBytesPerSecond / 1024).toFixed(1),
        String(r.sentFramesPerSecond),
      ])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  for (const row of rows)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
  for (const [client, phases] of Object.entries(results))
    for (const [name, r] of Object.entries(phases)) {
      console.log(`\n${client} ${name}: frames per second by kind`)
      for (const [k, n] of Object.entries(r.receivedByKind)) console.log(`  received ${k.padEnd(28)} ${n}`)
      for (const [k, n] of Object.entries(r.sentByKind)) console.log(`  sent     ${k.padEnd(28)} ${n}`)
    }
}

async function main() {
  if (!fs.existsSync(path.join(appDir, 'out/main/cli.js')))
    throw new Error(`${appDir} is not built: run \`npx electron-vite build\` there first`)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modeldl-window-bench-'))
  const s3dir = path.join(work, 's3rver')
  const stops = []
  try {
    const names = layoutObjects(s3dir, work)
    const s3 = await startS3rver(s3dir, path.join(work, 's3rver.log'))
    stops.push(() => s3.stop())
    const proxy = await startThrottleProxy(s3.endpoint, CAP_BPS)
    stops.push(() => proxy.close())
    const configFile = path.join(work, 'models.json')
    fs.writeFileSync(configFile, JSON.stringify(nestedConfig(names), null, 2))
    const results = {}
    for (const client of clients) {
      log(
        `${client}: serve from ${appDir}, ${MODELS} × ${OBJECT_BYTES / MiB} MiB at ${CAP_BPS / 1024} KiB/s each`,
      )
      const serve = await startServe(work, proxy.url, configFile)
      try {
        if (client === 'script') results.script = await measureScript(serve, names)
        else if (client === 'chromium') results.chromium = await measureChromium(serve)
        else throw new Error(`unknown client "${client}": script or chromium`)
      } finally {
        await serve.stop()
      }
    }
    const report = {
      app: appDir,
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      setup: {
        models: MODELS,
        objectBytes: OBJECT_BYTES,
        capBytesPerSecondPerConnection: CAP_BPS,
        windowMs: WINDOW_MS,
      },
      results,
    }
    if (opts.json) console.log(JSON.stringify(report, null, 2))
    else printTable(results)
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
