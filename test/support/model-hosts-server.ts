// One HTTPS server of our own that behaves like the model hosts the engine downloads from:
// - Hugging Face at https://127.0.0.1:PORT (what HF_ENDPOINT points at): `/<repo>/resolve/<rev>/<file>`
//   answers 302 to its CDN with X-Linked-Etag (the file's sha256) and X-Linked-Size; a gated repo
//   answers 401 without `Authorization: Bearer <hfToken>`.
// - The CDN at https://localhost:PORT (another host name, so tokens must not follow the redirect):
//   `/cdn/<name>` serves the bytes with ranges, its own ETag and If-Range.
// - CivitAI at https://127.0.0.1:PORT (CIVITAI_BASE_URL): `/api/download/models/<id>` needs the token
//   (Authorization or `?token=`), names the file in Content-Disposition; `/api/v1/model-versions/<id>`
//   publishes its SHA256.
// Faults per file: a body shorter than Content-Length, a Content-Range that lies, a wrong sha256, and
// redirects anywhere (file:, http:, a private address).
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TestCertificates } from './tls-ca'

export interface HostedFile {
  bytes: Buffer
  sha256: string
  /** Served with this ETag by the CDN; changing it makes the file "change" mid-download. */
  etag: string
  /** Hugging Face: the repo needs the token. */
  gated?: boolean
  /** The sha256 the host claims (X-Linked-Etag, CivitAI's API): a wrong one is a mismatch test. */
  claimedSha256?: string
  /** Content-Length says this many bytes more than the body has, then the connection closes. */
  shortBody?: number
  /** Content-Range claims this total instead of the real size. */
  rangeTotal?: number
  /** The resolve URL redirects here instead of the CDN. */
  redirectTo?: string
  /** Ranges are ignored (200 with the whole file) and no Accept-Ranges is sent. */
  noRanges?: boolean
}

export interface LoggedRequest {
  method: string
  host: string
  path: string
  range?: string
  ifRange?: string
  authorization?: string
}

export interface ModelHostsServer {
  /** `https://127.0.0.1:PORT`: HF_ENDPOINT and CIVITAI_BASE_URL. */
  origin: string
  /** `https://localhost:PORT`: the CDN. */
  cdn: string
  hfToken: string
  civitaiToken: string
  /** Adds a Hugging Face file; returns it and its `https://huggingface.co/…` URL. */
  addHf(
    repo: string,
    file: string,
    size: number,
    extra?: Partial<HostedFile>,
  ): { file: HostedFile; url: string }
  /** Adds a CivitAI model version; returns it and its `https://civitai.com/api/download/models/<id>` URL. */
  addCivitai(
    id: number,
    fileName: string,
    size: number,
    extra?: Partial<HostedFile>,
  ): { file: HostedFile; url: string }
  requests: LoggedRequest[]
  close(): Promise<void>
}

export async function startModelHostsServer(certs: TestCertificates): Promise<ModelHostsServer> {
  const hf = new Map<string, { file: HostedFile; repo: string }>()
  const cdn = new Map<string, HostedFile>()
  const civitai = new Map<string, { file: HostedFile; name: string }>()
  const requests: LoggedRequest[] = []
  const hfToken = `hf_${randomBytes(8).toString('hex')}`
  const civitaiToken = randomBytes(12).toString('hex')
  const sockets = new Set<Socket>()
  let port = 0

  const make = (size: number, extra: Partial<HostedFile> = {}): HostedFile => {
    const bytes = randomBytes(size)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    return { bytes, sha256, etag: `"${sha256.slice(0, 16)}"`, ...extra }
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host}`)
    requests.push({
      method: req.method ?? '',
      host: url.hostname,
      path: url.pathname,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(typeof req.headers['if-range'] === 'string' ? { ifRange: req.headers['if-range'] } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    })
    const bearer = req.headers.authorization?.replace(/^Bearer /, '')
    const resolve = /^\/(.+)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname)
    if (url.hostname === '127.0.0.1' && resolve) {
      const entry = hf.get(`${resolve[1]}/${resolve[2]}`)
      if (!entry) return end(res, 404)
      if (entry.file.gated && bearer !== hfToken) return end(res, 401)
      const f = entry.file
      res.writeHead(302, {
        location: f.redirectTo ?? `${origin('localhost')}/cdn/${f.sha256}?Expires=1&Signature=abc`,
        'x-linked-etag': `"${f.claimedSha256 ?? f.sha256}"`,
        'x-linked-size': String(f.bytes.length),
        etag: '"hf-pointer"',
      })
      return void res.end()
    }
    const cdnPath = /^\/cdn\/([0-9a-f]+)$/.exec(url.pathname)
    if (url.hostname === 'localhost' && cdnPath) {
      const f = cdn.get(cdnPath[1]!)
      return f ? serveBytes(req, res, f, {}) : end(res, 404)
    }
    const download = /^\/api\/download\/models\/(\d+)$/.exec(url.pathname)
    if (url.hostname === '127.0.0.1' && download) {
      const entry = civitai.get(download[1]!)
      if (!entry) return end(res, 404)
      if (bearer !== civitaiToken && url.searchParams.get('token') !== civitaiToken) return end(res, 401)
      return serveBytes(req, res, entry.file, {
        'content-disposition': `attachment; filename="${entry.name}"`,
      })
    }
    const api = /^\/api\/v1\/model-versions\/(\d+)$/.exec(url.pathname)
    if (url.hostname === '127.0.0.1' && api) {
      const entry = civitai.get(api[1]!)
      if (!entry) return end(res, 404)
      const sha = (entry.file.claimedSha256 ?? entry.file.sha256).toUpperCase()
      const body = JSON.stringify({
        id: Number(api[1]),
        files: [
          {
            name: entry.name,
            primary: true,
            sizeKB: entry.file.bytes.length / 1024,
            hashes: { SHA256: sha },
          },
        ],
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(body)
    }
    end(res, 404)
  }

  const server: Server = createServer({ key: certs.key, cert: certs.cert }, handle)
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  port = (server.address() as { port: number }).port
  const origin = (host: string): string => `https://${host}:${port}`

  return {
    origin: origin('127.0.0.1'),
    cdn: origin('localhost'),
    hfToken,
    civitaiToken,
    addHf(repo, name, size, extra) {
      const file = make(size, extra)
      hf.set(`${repo}/${name}`, { file, repo })
      cdn.set(file.sha256, file)
      return { file, url: `https://huggingface.co/${repo}/resolve/main/${name}` }
    },
    addCivitai(id, name, size, extra) {
      const file = make(size, extra)
      civitai.set(String(id), { file, name })
      return { file, url: `https://civitai.com/api/download/models/${id}` }
    },
    requests,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}

function end(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' })
  res.end()
}

/** The file's bytes, whole or one `bytes=a-b` range, honouring If-Range against its ETag. */
function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  f: HostedFile,
  headers: Record<string, string>,
): void {
  const size = f.bytes.length
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
  const ifRange = req.headers['if-range']
  const ranged = range !== null && !f.noRanges && (ifRange === undefined || ifRange === f.etag)
  const start = ranged ? Number(range[1]) : 0
  const end = ranged && range[2] !== '' ? Math.min(size - 1, Number(range[2])) : size - 1
  if (ranged && start >= size) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
  const body = f.bytes.subarray(start, end + 1)
  const out: Record<string, string> = {
    ...headers,
    etag: f.etag,
    ...(f.noRanges ? {} : { 'accept-ranges': 'bytes' }),
    'last-modified': new Date(0).toUTCString(),
    'content-length': String(body.length + (f.shortBody ?? 0)),
  }
  if (ranged) out['content-range'] = `bytes ${start}-${end}/${f.rangeTotal ?? size}`
  res.writeHead(ranged ? 206 : 200, out)
  if (req.method === 'HEAD') return void res.end()
  if (f.shortBody) {
    // The promised bytes never come: the connection ends early.
    res.write(body, () => res.socket?.destroy())
    return
  }
  res.end(body)
}
