// `modeldl serve --ui`, through the real built CLI: who may use it (the printed token, traded for an
// HttpOnly cookie; our Host and Origin only), what every answer carries (the window's CSP and hardening
// headers), that the WebSocket validates every request before a handler sees it, that the static
// server never leaves the built UI, and that it will not listen beyond loopback unless told to.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { request, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { CLI_BIN, ROOT } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'
import { startServe, type ServeProcess } from '../support/serve-process'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

let s3: TestS3Server
let work: string
let served: ServeProcess | undefined
let port = 0
let token = ''
let stderr = ''
let env: NodeJS.ProcessEnv

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function http(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const cookie = () => `modeldl_token_${port}=${token}`

/** Opens the WebSocket with these headers; resolves with it open, or with the HTTP status it was refused with. */
function openSocket(headers: Record<string, string>, query = ''): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api${query}`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', () => resolve(0))
  })
}

/** Sends one call frame ({id, method, params}) and waits for the answer with its id. */
function invoke(ws: WebSocket, id: number, channel: string, req?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>
      if (frame['id'] === id && !('event' in frame)) {
        ws.off('message', onMessage)
        resolve(frame)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method: channel, ...(req === undefined ? {} : { params: [req] }) }))
  })
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  work = await makeTempDir('modeldl-serve-')
  env = {
    PATH: process.env['PATH'],
    HOME: work,
    ...s3.env,
    MODELDL_HOME: join(work, 'home'),
    NETWORK_VOLUME: join(work, 'volume'),
  }
  served = await startServe(env)
  served.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  port = served.port
  token = served.token
}, 60_000)

afterAll(async () => {
  await served?.stop()
  await s3?.close()
  await removeTempDir(work)
})

describe('modeldl serve: who may use it', () => {
  it('refuses a request without the token, and one with a wrong token', async () => {
    const none = await http('/')
    expect(none.status).toBe(401)
    expect(none.body).toContain('open the UI address that modeldl serve printed')
    const wrong = await http(`/?token=${'x'.repeat(43)}`)
    expect(wrong.status).toBe(403)
    const wrongCookie = await http('/', { Cookie: `modeldl_token_${port}=nope` })
    expect(wrongCookie.status).toBe(403)
  })

  it('trades the token in the address for an HttpOnly, SameSite=Strict cookie and takes it out of the address', async () => {
    const first = await http(`/?token=${token}`)
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/')
    const set = String(first.headers['set-cookie'])
    expect(set).toContain(cookie())
    expect(set).toContain('HttpOnly')
    expect(set).toContain('SameSite=Strict')
  })

  it('serves the window with the cookie, with its CSP and hardening headers', async () => {
    const page = await http('/', { Cookie: cookie() })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<div id="root"></div>')
    const html = await readFile(join(ROOT, 'out/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]
    expect(page.headers['content-security-policy']).toBe(meta)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
  })

  it('refuses another Host name even with the right cookie (DNS rebinding)', async () => {
    const rebound = await http('/', { Cookie: cookie(), Host: `evil.example:${port}` })
    expect(rebound.status).toBe(403)
    expect(rebound.body).toContain('is not this server')
  })

  it('refuses anything but GET and HEAD, and requests that change something from another Origin', async () => {
    const post = await http('/', { Cookie: cookie(), Origin: `http://127.0.0.1:${port}` }, 'POST')
    expect(post.status).toBe(405)
    const crossSite = await http('/', { Cookie: cookie(), Origin: 'http://evil.example' }, 'POST')
    expect(crossSite.status).toBe(403)
  })

  it('never serves a file outside the built window', async () => {
    for (const path of [
      '/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/%00',
    ]) {
      const res = await http(path, { Cookie: cookie() })
      expect(res.status, path).toBe(404)
      expect(res.body).not.toContain('"name": "model-downloader"')
    }
  })

  it('opens the WebSocket only with the token and from our own Origin', async () => {
    expect(await openSocket({})).toBe(401)
    expect(await openSocket({ Cookie: cookie(), Origin: 'http://evil.example' })).toBe(403)
    expect(await openSocket({ Origin: `http://127.0.0.1:${port}` }, `?token=${'y'.repeat(43)}`)).toBe(403)
    const ws = await openSocket({ Cookie: cookie(), Origin: `http://127.0.0.1:${port}` })
    expect(ws).toBeInstanceOf(WebSocket)
    ;(ws as WebSocket).close()
  })
})

describe('modeldl serve: the Api over the WebSocket', () => {
  it('answers invokes, checks every request against its schema, and names what is wrong', async () => {
    const ws = (await openSocket({ Cookie: cookie(), Origin: `http://127.0.0.1:${port}` })) as WebSocket
    try {
      const info = await invoke(ws, 1, 'app:info')
      expect(info).toMatchObject({ id: 1, result: { shell: 'browser', ownerKind: 'serve' } })
      expect((info['result'] as { capabilities: unknown }).capabilities).toEqual({
        dialogs: false,
        reveal: false,
        notifications: false,
      })

      const relative = await invoke(ws, 2, 'config:open', { path: 'configs/models.json' })
      expect(relative).toMatchObject({ id: 2, error: { code: 'bad_request' } })
      expect(JSON.stringify(relative)).toContain('path: must be an absolute path')

      const unknown = await invoke(ws, 3, 'shell:exec', { cmd: 'rm -rf /' })
      expect(unknown).toMatchObject({
        id: 3,
        error: { code: 'bad_request', message: 'Unknown channel "shell:exec"' },
      })

      // Desktop-only channels say so, with what to do instead.
      const reveal = await invoke(ws, 4, 'shell:reveal', { id: '/tmp/x.safetensors' })
      expect(reveal).toMatchObject({ id: 4, error: { code: 'unsupported' } })

      const keys = await invoke(ws, 5, 'settings:update', {
        s3: { accessKeyId: 'AKIA…', secretAccessKey: 's' },
      })
      expect(keys).toMatchObject({ id: 5, error: { code: 'forbidden' } })
      expect(JSON.stringify(keys)).toContain('never stores keys')
    } finally {
      ws.close()
    }
  })

  it('drops a connection that sends something other than JSON invoke frames', async () => {
    const ws = (await openSocket({ Cookie: cookie(), Origin: `http://127.0.0.1:${port}` })) as WebSocket
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.send('this is not json')
    expect(await closed).toBe(1007)
  })
})

describe('modeldl serve: where it listens', () => {
  it('will not listen beyond loopback without --allow-remote, and says to use an SSH tunnel', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, 'serve', '--host', '0.0.0.0', '--port', '0'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('SSH tunnel')
    expect(r.stderr).toContain('--allow-remote')
  })

  it('says which option is wrong for a bad port', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, 'serve', '--port', 'eighty'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--port must be a port number')
  })
})
