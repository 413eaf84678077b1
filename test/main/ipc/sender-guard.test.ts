import { pathToFileURL } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { ownTopFrameGuard } from '../../../src/main/ipc/sender-guard'
import { isRendererUrl } from '../../../src/main/window/renderer-location'
import { FakeWebContents } from '../support/fake-electron'

vi.mock('electron', async () => (await import('../support/fake-electron')).electronModule)

const INDEX_HTML = '/opt/model-downloader/resources/app.asar/out/renderer/index.html'
const PAGE = pathToFileURL(INDEX_HTML).href

describe('ownTopFrameGuard (built renderer on file://)', () => {
  const ours = new FakeWebContents(PAGE)
  const guard = ownTopFrameGuard(() => [ours.asWebContents()], { indexHtml: INDEX_HTML })

  it('trusts the top frame of our window showing our page, with any hash or query', () => {
    expect(guard(ours.invokeEvent())).toBeNull()
    ours.mainFrame.url = `${PAGE}#/settings?tab=s3`
    expect(guard(ours.invokeEvent())).toBeNull()
    ours.mainFrame.url = PAGE
  })

  it('refuses subframes, even ones showing our own page', () => {
    expect(guard(ours.invokeEvent(ours.mainFrame.child(PAGE)))).toBe('the sender is not the top frame')
    expect(guard(ours.invokeEvent(ours.mainFrame.child('https://evil.example/')))).toBe(
      'the sender is not the top frame',
    )
  })

  it('refuses another webContents, whatever it shows', () => {
    const stranger = new FakeWebContents(PAGE)
    expect(guard(stranger.invokeEvent())).toBe('the sender is not a window of this app')
  })

  it('refuses our window once it shows another page or another file', () => {
    for (const url of [
      'https://evil.example/',
      pathToFileURL('/tmp/dropped.html').href,
      pathToFileURL('/opt/model-downloader/resources/app.asar/out/renderer/other.html').href,
      `file://evil-host${INDEX_HTML}`,
      'about:blank',
      'data:text/html,<script>1</script>',
    ]) {
      const contents = new FakeWebContents(url)
      const g = ownTopFrameGuard(() => [contents.asWebContents()], { indexHtml: INDEX_HTML })
      expect(g(contents.invokeEvent()), url).toBe(`the sender is not the app's page (${url})`)
    }
  })

  it('refuses a frame that is gone, and everything once the window is closed', () => {
    expect(guard(ours.invokeEvent(null))).toBe('the sending frame is gone (navigated or destroyed)')
    const closed = ownTopFrameGuard(() => [], { indexHtml: INDEX_HTML })
    expect(closed(ours.invokeEvent())).toBe('the sender is not a window of this app')
  })
})

describe('ownTopFrameGuard (dev server)', () => {
  const renderer = { indexHtml: INDEX_HTML, devUrl: 'http://localhost:5173/' }

  it('trusts pages of the dev server origin only', () => {
    const contents = new FakeWebContents('http://localhost:5173/#/browse')
    const guard = ownTopFrameGuard(() => [contents.asWebContents()], renderer)
    expect(guard(contents.invokeEvent())).toBeNull()
    for (const url of ['http://localhost:5174/', 'https://localhost:5173/', 'http://127.0.0.1:5173/', PAGE]) {
      contents.mainFrame.url = url
      expect(guard(contents.invokeEvent()), url).toMatch(/not the app's page/)
    }
  })

  it('isRendererUrl does not throw on garbage', () => {
    expect(isRendererUrl('not a url', renderer)).toBe(false)
    expect(isRendererUrl('', { indexHtml: INDEX_HTML })).toBe(false)
  })
})
