// One end-to-end session: a real s3rver, the built `modeldl serve --ui` as a child process (owner of its
// own state folder, real worker) and Debian's Chromium driven by playwright-core. Only the transport
// differs from the desktop app: a WebSocket instead of Electron IPC.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { CLI_BIN } from '../../support/built'
import { startFaultProxy, type FaultProxy, type FaultRule } from '../../support/fault-proxy'
import { startS3Server, type RandomObject, type TestS3Server } from '../../support/s3-server'
import { makeTempDir, removeTempDir } from '../../support/temp'

export const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

export interface UiSession {
  s3: TestS3Server
  /** The fault proxy serve reaches s3rver through, when the options asked for one. */
  proxy: FaultProxy | null
  /** What was seeded, by key: sha256 and bytes of each object. */
  objects: Record<string, RandomObject>
  work: string
  /** NETWORK_VOLUME of the served owner: models land under <nv>/ComfyUI/models. */
  nv: string
  home: string
  url: string
  serve: ChildProcess
  /** Everything the server wrote to stderr, for failure messages. */
  stderr: () => string
  browser: Browser
  newPage(options?: { colorScheme?: 'light' | 'dark'; width?: number; height?: number }): Promise<Page>
  modelPath(group: string, name: string): string
  close(): Promise<void>
}

export interface UiSessionOptions {
  /** Objects to seed: key → size in bytes. */
  objects: Record<string, number>
  /** Written as <work>/config.json before the server starts (and passed with --config when `load`). */
  config?: (nv: string) => unknown
  /** true: `--config FILE`; 'env': MODEL_CONFIG_FILE=FILE in serve's environment, as the demo says. */
  loadConfigAtStart?: boolean | 'env'
  /** Written to <home>/settings.json before start. */
  settings?: Record<string, unknown>
  /** Serve reaches s3rver through the project's fault proxy, with these rules from the start. */
  faultRules?: FaultRule[]
  /** More of serve's environment (e.g. MODELDL_HOST_NAME). */
  env?: Record<string, string>
}

/** Reads stdout until the one `UI: http://…/?token=…` line. */
function waitForUiLine(child: ChildProcess, stderr: () => string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(
      () => reject(new Error(`serve printed no UI line in time:\n${stderr()}`)),
      timeoutMs,
    )
    lines.on('line', (line) => {
      const m = /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code} before printing its UI line:\n${stderr()}`))
    })
  })
}

export async function startUiSession(options: UiSessionOptions): Promise<UiSession> {
  const s3 = await startS3Server({ bucket: 'models' })
  const objects: Record<string, RandomObject> = {}
  for (const [key, size] of Object.entries(options.objects)) objects[key] = await s3.putRandom(key, size)
  const proxy = options.faultRules ? await startFaultProxy(s3.endpoint) : null
  proxy?.setRules(options.faultRules ?? [])
  const work = await makeTempDir('modeldl-e2e-')
  const nv = join(work, 'volume')
  const home = join(work, 'home')
  await mkdir(nv, { recursive: true })
  await mkdir(home, { recursive: true })
  if (options.settings) await writeFile(join(home, 'settings.json'), JSON.stringify(options.settings))
  const configFile = join(work, 'config.json')
  if (options.config) await writeFile(configFile, JSON.stringify(options.config(nv), null, 2))

  const args = [CLI_BIN, 'serve', '--ui', '--port', '0']
  if (options.config && options.loadConfigAtStart === true) args.push('--config', configFile)
  const configEnv =
    options.config && options.loadConfigAtStart === 'env' ? { MODEL_CONFIG_FILE: configFile } : {}
  const serve = spawn(process.execPath, args, {
    env: {
      PATH: process.env['PATH'],
      HOME: work,
      ...(proxy ? s3.envFor(proxy.url) : s3.env),
      NETWORK_VOLUME: nv,
      AWS_BUCKET_NAME: 'models',
      MODELDL_HOME: home,
      ...configEnv,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  serve.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const stderr = () => err
  let browser: Browser | null = null
  try {
    const url = await waitForUiLine(serve, stderr)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    const contexts: BrowserContext[] = []
    const b = browser
    return {
      s3,
      proxy,
      objects,
      work,
      nv,
      home,
      url,
      serve,
      stderr,
      browser: b,
      async newPage(o = {}) {
        const context = await b.newContext({
          viewport: { width: o.width ?? 1280, height: o.height ?? 800 },
          colorScheme: o.colorScheme ?? 'light',
        })
        contexts.push(context)
        const page = await context.newPage()
        await page.goto(url)
        return page
      },
      modelPath: (group, name) => join(nv, 'ComfyUI/models', group, name),
      async close() {
        for (const c of contexts) await c.close().catch(() => {})
        await b.close().catch(() => {})
        await stopChild(serve)
        await proxy?.close()
        await s3.close()
        await removeTempDir(work)
      },
    }
  } catch (e) {
    await browser?.close().catch(() => {})
    await stopChild(serve)
    await proxy?.close()
    await s3.close()
    await removeTempDir(work)
    throw e
  }
}

/** SIGTERM (graceful: transfers pause), then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}
