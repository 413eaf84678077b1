#!/usr/bin/env node
// `npm run check:packaging` (part of `npm test`): what CI can check of the installers without the
// Electron binary. It loads the electron-builder config the way electron-builder does, validates it
// with electron-builder's own validator (app-builder-lib's scheme.json through ajv, as `npm run dist`
// would before building), then checks what this app relies on: targets, fuses, the files that go
// into app.asar, and the icons (present, PNG with alpha, the right sizes, the macOS template black).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateSync } from 'node:zlib'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

const REQUIRED_FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
}
const REQUIRED_TARGETS = { linux: ['AppImage', 'deb'], mac: ['dmg'], win: ['nsis'] }
const REQUIRED_FILES = ['out/**', 'resources/**', 'package.json']
/** Sizes in pixels; the app icon is also what electron-builder turns into .icns (≥ 512) and .ico (≥ 256). */
const ICONS = [
  { file: 'resources/icon.png', size: 512 },
  { file: 'resources/tray.png', size: 22 },
  { file: 'resources/tray@2x.png', size: 44 },
  { file: 'resources/trayTemplate.png', size: 22, template: true },
  { file: 'resources/trayTemplate@2x.png', size: 44, template: true },
]

const problems = []
const problem = (message) => problems.push(message)

// ---- PNG: just enough of a decoder for 8-bit RGBA, non-interlaced (what Chromium writes) ----------

function decodePng(buffer) {
  if (buffer.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG file')
  let offset = 8
  let header = null
  const data = []
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset)
    const type = buffer.toString('latin1', offset + 4, offset + 8)
    const body = buffer.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8],
        colorType: body[9],
        interlace: body[12],
      }
    } else if (type === 'IDAT') data.push(body)
    offset += 12 + length
  }
  if (!header) throw new Error('no IHDR chunk')
  if (header.bitDepth !== 8 || header.colorType !== 6 || header.interlace !== 0)
    return { ...header, pixels: null }
  const raw = inflateSync(Buffer.concat(data))
  const stride = header.width * 4
  const pixels = Buffer.alloc(stride * header.height)
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? pixels[y * stride + x - 4] : 0
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4] : 0
      const paeth = () => {
        const p = a + b - c
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)]
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      }
      const predictor = [0, a, b, (a + b) >> 1, filter === 4 ? paeth() : 0][filter]
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`)
      pixels[y * stride + x] = (line[x] + predictor) & 0xff
    }
  }
  return { ...header, pixels }
}

function checkIcon({ file, size, template }) {
  const path = join(ROOT, file)
  if (!existsSync(path)) return problem(`${file} is missing (node scripts/render-icons.mjs renders it)`)
  let png
  try {
    png = decodePng(readFileSync(path))
  } catch (err) {
    return problem(`${file} cannot be read: ${err.message}`)
  }
  if (png.width !== size || png.height !== size)
    problem(`${file} is ${png.width}×${png.height}, expected ${size}×${size}`)
  if (!png.pixels) return problem(`${file} must be 8-bit RGBA (a colour type with alpha), non-interlaced`)
  let transparent = 0
  let coloured = 0
  for (let i = 0; i < png.pixels.length; i += 4) {
    const [r, g, b, alpha] = png.pixels.subarray(i, i + 4)
    if (alpha === 0) transparent++
    else if (r !== 0 || g !== 0 || b !== 0) coloured++
  }
  const total = png.width * png.height
  if (transparent === 0) problem(`${file} has no transparent pixel: icons need their shape, not a square`)
  if (transparent === total) problem(`${file} is empty`)
  // macOS draws a template image in the menu bar's own colour from its alpha alone; any colour is a bug.
  if (template && coloured > 0) problem(`${file} is a macOS template image: it must be black with alpha only`)
  return `${file} ${png.width}×${png.height} RGBA${template ? ', black with alpha' : ''}`
}

// ---- the config --------------------------------------------------------------------------------

const asArray = (value) => (value == null ? [] : Array.isArray(value) ? value : [value])
const targetNames = (value) => asArray(value).map((t) => (typeof t === 'string' ? t : t.target))

async function loadAndValidate() {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config')
  const { DebugLogger } = require('builder-util')
  const config = await getConfig(ROOT, null, null)
  // The same call electron-builder makes before a build: throws with every schema violation listed.
  await validateConfiguration(config, new DebugLogger(false))
  return config
}

function checkConfig(config) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  if (config.productName !== 'Model Downloader')
    problem(`productName is ${config.productName}, expected "Model Downloader"`)
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/i.test(config.appId ?? ''))
    problem(`appId "${config.appId}" is not a reverse-DNS id`)

  for (const [platform, wanted] of Object.entries(REQUIRED_TARGETS)) {
    const have = targetNames(config[platform]?.target)
    for (const t of wanted)
      if (!have.includes(t)) problem(`${platform}.target lacks ${t} (has ${have.join(', ') || 'none'})`)
  }

  const fuses = config.electronFuses ?? {}
  for (const [fuse, value] of Object.entries(REQUIRED_FUSES))
    if (fuses[fuse] !== value) problem(`electronFuses.${fuse} must be ${value} (is ${fuses[fuse]})`)

  // electron-builder normalises `files` into [{ filter: [...] }] entries; those without from/to are the
  // patterns for the app's root.
  const files = asArray(config.files).flatMap((f) =>
    typeof f === 'string' ? [f] : f.from == null && f.to == null ? asArray(f.filter) : [],
  )
  for (const pattern of REQUIRED_FILES) if (!files.includes(pattern)) problem(`files lacks "${pattern}"`)
  if (files.some((f) => typeof f === 'string' && /^!\s*(out|node_modules)\b/.test(f)))
    problem('files excludes out/ or node_modules/: the app would not start')
  // src/main/index.ts loads resources from join(app.getAppPath(), 'resources'): they must stay in the
  // archive at that path, not be moved out by extraResources or to the unpacked folder.
  if (config.asar === false) problem('asar is off: onlyLoadAppFromAsar would leave the app nothing to load')
  const moved = [...asArray(config.extraResources), ...asArray(config.asarUnpack)]
  if (moved.some((r) => JSON.stringify(r).includes('resources')))
    problem(
      'resources/ is moved out of app.asar (extraResources/asarUnpack): the main process reads it inside the archive',
    )
  if (pkg.main !== 'out/main/index.js')
    problem(`package.json main is ${pkg.main}, expected out/main/index.js`)
  if (
    !existsSync(join(ROOT, 'src/main/index.ts')) ||
    !readFileSync(join(ROOT, 'src/main/index.ts'), 'utf8').includes("join(appDir, 'resources')")
  )
    problem(
      "src/main/index.ts no longer loads resources from join(app.getAppPath(), 'resources'): recheck `files`",
    )

  for (const icon of [config.icon, config.linux?.icon, config.mac?.icon, config.win?.icon].filter(Boolean))
    if (!existsSync(join(ROOT, icon))) problem(`icon ${icon} does not exist`)
  if (!config.icon) problem('no application icon is set')
  if (config.publish !== null) problem('publish must be null: a build never uploads anything')
}

async function main() {
  let config
  try {
    config = await loadAndValidate()
  } catch (err) {
    console.error(`Packaging config: INVALID\n${err.message}`)
    process.exit(1)
  }
  checkConfig(config)
  const icons = ICONS.map(checkIcon).filter((line) => typeof line === 'string')
  if (problems.length > 0) {
    console.error('Packaging config: FAILED')
    for (const p of problems) console.error(`  ✗ ${p}`)
    process.exit(1)
  }
  const targets = Object.entries(REQUIRED_TARGETS).map(
    ([p]) => `${p} ${targetNames(config[p].target).join('+')}`,
  )
  console.log(
    `Packaging config: valid for electron-builder ${require('app-builder-lib/package.json').version} ` +
      `(${targets.join(', ')}; fuses set; ${icons.length} icons checked)`,
  )
  for (const line of icons) console.log(`  ✓ ${line}`)
  console.log('  Installers are not built here (no Electron binary): `npm run dist` on a workstation.')
}

main().catch((err) => {
  console.error('Packaging check failed to run:', err)
  process.exit(2)
})
