import { createReadStream } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

/** The built renderer's CSP, as its index.html declares it: the header repeats it, so both agree. */
export async function cspOfIndex(uiDir: string): Promise<string | undefined> {
  const html = await readFile(join(uiDir, 'index.html'), 'utf8')
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)
  return meta?.[1]
}

/**
 * Serves the file for a URL path from `root` (the built renderer), or answers 404. The path is
 * decoded, resolved and checked to stay inside the root, symlinks included: `..`, encoded slashes and
 * NUL bytes never reach a file outside it.
 */
export async function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const notFound = (): void => {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n')
  }
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return notFound()
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return notFound()
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
  const file = resolve(root, relative)
  if (!file.startsWith(root + sep)) return notFound()
  let real: string
  try {
    real = await realpath(file)
    if (!real.startsWith(root + sep) || !(await stat(real)).isFile()) return notFound()
  } catch {
    return notFound()
  }
  const size = (await stat(real)).size
  const type = TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream'
  // Built assets carry a content hash in their names; the page itself must always be fresh.
  const cache = real.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-store'
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Cache-Control': cache })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(real)
    .on('error', () => res.destroy())
    .pipe(res)
}
