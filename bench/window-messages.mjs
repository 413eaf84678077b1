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
import { printTable } from './lib/frame-counter.mjs'
import { startThrottleProxy } from './lib/throttle-proxy.mjs'
import { measureChromium, measureScript } from './lib/window-clients.mjs'

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MiB = 1024 * 1024
const MODELS = 50
const OBJECT_BYTES = 8 * MiB
/** Per connection: 8 MiB at 256 KiB/s is 32 s a download, so all 50 outlast the window. */
const CAP_BPS = 256 * 1024
const WINDOW_MS = 10_000
const setup = {
  models: MODELS,
  objectBytes: OBJECT_BYTES,
  capBytesPerSecond: CAP_BPS,
  windowMs: WINDOW_MS,
}

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
        if (client === 'script') results.script = await measureScript(serve, names, setup)
        else if (client === 'chromium') results.chromium = await measureChromium(serve, setup)
        else throw new Error(`unknown client "${client}": script or chromium`)
      } finally {
        await serve.stop()
      }
    }
    const report = {
      app: appDir,
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      setup,
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
