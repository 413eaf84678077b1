#!/usr/bin/env node
// Renders the app's PNG icons from their SVG sources in resources/ with Debian's Chromium (driven by
// playwright-core, a devDependency; `apt-get install -y chromium` where /usr/bin/chromium is missing):
//
//   resources/icon.svg → icon.png (512×512: the window, notifications, and electron-builder's icon)
//   resources/tray.svg → tray.png, tray@2x.png (white glyph on the accent tile: Linux and Windows trays,
//                        light or dark), trayTemplate.png, trayTemplate@2x.png (black glyph with alpha:
//                        macOS tints template images for the menu bar itself)
//
// Electron loads the @2x file by itself on a HiDPI screen when given the 1x path. Run it after
// editing an SVG (`node scripts/render-icons.mjs`) and commit the PNGs; scripts/check-packaging.mjs
// checks their sizes.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const RESOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'resources')
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const ACCENT = '#2563eb'

const svg = (name) => readFileSync(join(RESOURCES, name), 'utf8').replace(/<!--[\s\S]*?-->/g, '')

/** The SVG scaled to `size` pixels (its viewBox keeps the drawing; only the output size changes). */
const sized = (source, size) =>
  source.replace(/<svg([^>]*?) width="[^"]*" height="[^"]*"/, `<svg$1 width="${size}" height="${size}"`)

const glyph = (size, color) =>
  `<div style="color:${color};width:${size}px;height:${size}px">${sized(svg('tray.svg'), size)}</div>`
// The tile's corner radius follows the app icon's (96 of 416).
const tile = (size) =>
  `<div style="width:${size}px;height:${size}px;border-radius:${(size * 96) / 416}px;background:${ACCENT};color:#fff">${sized(svg('tray.svg'), size)}</div>`

const TARGETS = [
  { file: 'icon.png', size: 512, html: () => sized(svg('icon.svg'), 512) },
  { file: 'tray.png', size: 22, html: () => tile(22) },
  { file: 'tray@2x.png', size: 44, html: () => tile(44) },
  { file: 'trayTemplate.png', size: 22, html: () => glyph(22, '#000') },
  { file: 'trayTemplate@2x.png', size: 44, html: () => glyph(44, '#000') },
]

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(buffer) {
  if (buffer.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG')
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 })
    for (const target of TARGETS) {
      await page.setViewportSize({ width: target.size, height: target.size })
      await page.setContent(
        `<!doctype html><html><body style="margin:0;background:transparent">${target.html()}</body></html>`,
      )
      const path = join(RESOURCES, target.file)
      const png = await page.screenshot({
        path,
        omitBackground: true,
        clip: { x: 0, y: 0, width: target.size, height: target.size },
      })
      const { width, height } = pngSize(png)
      if (width !== target.size || height !== target.size)
        throw new Error(`${target.file} came out ${width}×${height}, not ${target.size}×${target.size}`)
      console.log(`resources/${target.file}  ${width}×${height}`)
    }
  } finally {
    await browser.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('Rendering the icons failed:', err)
    process.exit(1)
  })
}
