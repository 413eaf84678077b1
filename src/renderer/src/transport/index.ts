// Which door the window talks through: the preload's `window.api` inside Electron, or a WebSocket to
// `modeldl serve --ui` when the same page is opened in a browser. Both are the one typed Api.
import type { Api } from '../../../shared/api-contract'
import { WS_PATH } from '../../../shared/ws-protocol'
import { createWebSocketApi } from './websocket-api'

/** ws(s)://same-host/api; the auth cookie set with the page travels with the upgrade by itself. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${WS_PATH}`
}

export function resolveApi(scope: { api?: Api; location: Pick<Location, 'protocol' | 'host'> }): Api {
  return scope.api ?? createWebSocketApi(webSocketUrl(scope.location))
}

let api: Api | null = null

/** The window's Api, made once. */
export function getApi(): Api {
  api ??= resolveApi({ api: window.api, location: window.location })
  return api
}
