// window.api as the renderer sees it: present in the Electron window (the preload exposes it), absent in
// a browser served by `modeldl serve --ui` (the WebSocket client is used there instead).
import type { Api } from '../shared/api-contract'

declare global {
  interface Window {
    readonly api?: Api
  }
}

export {}
