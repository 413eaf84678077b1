import type { IpcMainInvokeEvent, WebContents } from 'electron'
import { isRendererUrl, type RendererLocation } from '../window/renderer-location'

/** Who may call the API: decides from the event alone, before the payload is even looked at. */
export type SenderGuard = (event: IpcMainInvokeEvent) => string | null

/**
 * Accepts only the top frame of a window this app created, showing our renderer. Returns null when the
 * sender is trusted, else why not (for the log and the `forbidden` answer): an iframe, a page the
 * window was somehow navigated to, or a webContents that is not ours must not reach the service.
 */
export function ownTopFrameGuard(
  ownContents: () => Iterable<WebContents>,
  renderer: RendererLocation,
): SenderGuard {
  return (event) => {
    const frame = event.senderFrame
    if (!frame) return 'the sending frame is gone (navigated or destroyed)'
    if (![...ownContents()].includes(event.sender)) return 'the sender is not a window of this app'
    if (frame !== event.sender.mainFrame || frame.parent !== null) return 'the sender is not the top frame'
    if (!isRendererUrl(frame.url, renderer)) return `the sender is not the app's page (${frame.url})`
    return null
  }
}
