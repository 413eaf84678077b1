// `modeldl serve --ui` as a real child process of the built CLI, for the tests that talk to it over
// HTTP and the WebSocket: started, its one stdout line read for the port and token, stopped.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { expect } from 'vitest'
import WebSocket from 'ws'
import { CLI_BIN } from './built'

export interface ServeProcess {
  child: ChildProcess
  port: number
  token: string
  /** Everything it printed on stderr so far. */
  stderr(): string
  /** The token as the browser holds it after the first visit. */
  cookie(): string
  origin(): string
  /** An authenticated WebSocket, as the window opens it. */
  socket(): Promise<WebSocket>
  stop(): Promise<void>
}

export async function startServe(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--ui', '--port', '0', ...args], { env })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UI line:\n${stderr}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)))
    createInterface({ input: child.stdout! }).on('line', (l) => {
      clearTimeout(timer)
      resolve(l)
    })
  })
  const m = /^UI: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(line)
  expect(m, `the one stdout line: ${line}`).not.toBeNull()
  const port = Number(m![1])
  const token = m![2]!
  const cookie = (): string => `modeldl_token_${port}=${token}`
  const origin = (): string => `http://127.0.0.1:${port}`
  return {
    child,
    port,
    token,
    stderr: () => stderr,
    cookie,
    origin,
    socket: () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, {
          headers: { Cookie: cookie(), Origin: origin() },
        })
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** One call over an open WebSocket ({id, method, params}), answered by the frame with its id. */
export function invokeOver(
  ws: WebSocket,
  id: number,
  channel: string,
  request?: unknown,
): Promise<{ id: number; result?: unknown; error?: { code: string; message: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>
      if (frame['id'] === id && !('event' in frame)) {
        ws.off('message', onMessage)
        resolve(frame as never)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method: channel, ...(request === undefined ? {} : { params: [request] }) }))
  })
}
