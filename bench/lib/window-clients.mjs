// The two clients of bench/window-messages.mjs: a bare `ws` client that enqueues and listens, and the
// real window in Chromium; plus an uncounted side connection that asks how many downloads run.
import path from 'node:path'
import { FrameCounter, countPhases, parse } from './frame-counter.mjs'

const CHROMIUM = '/usr/bin/chromium'

/** A bare client: the same URL, cookie and origin as the window; it enqueues the 50 and listens. */
export async function measureScript(serve, names, setup) {
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
    if (f && !f.event && waiting.has(f.id)) {
      waiting.get(f.id)(f)
      waiting.delete(f.id)
    }
  })
  const invoke = (channel, request) =>
    new Promise((resolve, reject) => {
      const id = nextId++
      waiting.set(id, (f) =>
        f.error ? reject(new Error(`${channel}: ${f.error.message}`)) : resolve(f.result),
      )
      const text = JSON.stringify({
        id,
        method: channel,
        ...(request === undefined ? {} : { params: [request] }),
      })
      counter.sentFrame(text)
      ws.send(text)
    })
  const root = path.join(serve.nv, 'ComfyUI/models/loras')
  const probe = await statusProbe(serve)
  try {
    return await countPhases(
      counter,
      probe,
      () =>
        invoke('downloads:enqueue', {
          entries: names.map((name) => ({
            group: 'loras',
            modelName: name,
            s3Uri: `s3://bench/models/loras/${name}`,
            localPath: path.join(root, name),
            expectedSize: setup.objectBytes,
          })),
        }),
      setup,
    )
  } finally {
    probe.close()
    ws.close()
  }
}

/** The real window: Chromium loads the served UI, clicks "Download missing", and every frame is counted. */
export async function measureChromium(serve, setup) {
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
    while (!(await button.innerText()).includes(`(${setup.models})`)) {
      if (Date.now() > deadline)
        throw new Error(`the window never offered all ${setup.models}: ${await button.innerText()}`)
      await page.waitForTimeout(100)
    }
    // Asked over a second, uncounted connection so the window's own traffic is all that is counted.
    const probe = await statusProbe(serve)
    try {
      return await countPhases(counter, probe, () => button.click(), setup)
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
        if (f && !f.event && f.id === mine) {
          ws.off('message', onMessage)
          resolve(f.result)
        }
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ id: mine, method: channel }))
    })
  const counts = async () => (await invoke('downloads:status'))?.counts ?? {}
  return {
    running: async () => (await counts()).progress ?? 0,
    completed: async () => (await counts()).completed ?? 0,
    close: () => ws.close(),
  }
}
