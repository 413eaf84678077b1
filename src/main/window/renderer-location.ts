import { pathToFileURL } from 'node:url'

/**
 * Where our renderer lives: the built index.html, or the dev server's URL under `electron-vite dev`.
 * The window loads it, and the IPC guard trusts frames at this address and nowhere else.
 */
export interface RendererLocation {
  /** Absolute path of the built renderer's index.html. */
  indexHtml: string
  /** `ELECTRON_RENDERER_URL` in development; never set in a packaged app. */
  devUrl?: string
}

/** Whether `url` is our renderer's page (any hash or query: the renderer may route with them). */
export function isRendererUrl(url: string, location: RendererLocation): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (location.devUrl) {
    const dev = new URL(location.devUrl)
    return parsed.origin === dev.origin && parsed.protocol === dev.protocol
  }
  // file:// URLs have an opaque origin ("null"): compare the file itself instead.
  const ours = pathToFileURL(location.indexHtml)
  return parsed.protocol === 'file:' && parsed.host === ours.host && parsed.pathname === ours.pathname
}
