// A reverse HTTP proxy that caps each response body at a fixed rate, as a long link caps each
// connection to a real store: it keeps many downloads running at once for a while without huge
// objects. Requests go upstream unchanged (Host included: SigV4 signs it; s3rver does not check).
import http from 'node:http'
import { Transform } from 'node:stream'

/** Passes bytes on at most `bytesPerSecond`, in the chunks they came in. */
function rateCap(bytesPerSecond) {
  let due = performance.now()
  return new Transform({
    transform(chunk, _encoding, done) {
      const now = performance.now()
      const start = Math.max(due, now)
      due = start + (chunk.length / bytesPerSecond) * 1000
      setTimeout(() => done(null, chunk), start - now)
    },
  })
}

/** Starts the proxy on 127.0.0.1; resolves with { url, close() }. */
export async function startThrottleProxy(upstream, bytesPerSecond) {
  const target = new URL(upstream)
  const agent = new http.Agent({ keepAlive: true })
  const sockets = new Set()
  const server = http.createServer((req, res) => {
    const out = http.request(
      {
        host: target.hostname,
        port: Number(target.port),
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(rateCap(bytesPerSecond)).pipe(res)
      },
    )
    out.on('error', () => res.destroy())
    res.on('close', () => {
      if (!res.writableFinished) out.destroy()
    })
    req.pipe(out)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        agent.destroy()
        server.close(() => resolve())
      }),
  }
}
