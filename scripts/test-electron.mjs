#!/usr/bin/env node
// `npm run test:electron`: the Playwright _electron smoke test (test/electron/), where it can run.
//
// It needs the Electron binary, which electron's install script downloads from GitHub; machines that
// install with ELECTRON_SKIP_BINARY_DOWNLOAD=1 (CI here) do not have it. There the suite is reported
// as NOT RUN, plainly, and the command exits 0: its absence is not a failure, and it is never reported
// as passed. The binary is looked up without require('electron'), which would try to download it.
//
//   node scripts/test-electron.mjs               build, then run the smoke test
//   node scripts/test-electron.mjs --skip-build  the app is already built (npm test builds first)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const HOW = 'run on a workstation with `npm run test:electron`'

function notRun(why) {
  console.log(`Electron smoke test: NOT RUN — ${why}; ${HOW}`)
  process.exit(0)
}

/** The binary electron's index.js would return, or null: the same lookup, minus the download. */
function electronBinary() {
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { path: null, why: 'the electron package is not installed' }
  }
  const pathFile = join(pkgDir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH']
  if (override) {
    const path = join(override, relative || 'electron')
    return existsSync(path)
      ? { path }
      : { path: null, why: `ELECTRON_OVERRIDE_DIST_PATH has no binary at ${path}` }
  }
  if (!relative || !existsSync(join(pkgDir, 'dist', relative)))
    return {
      path: null,
      why: 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD: node_modules/electron/dist is missing)',
    }
  return { path: join(pkgDir, 'dist', relative) }
}

function run(command, args, options = {}) {
  // npx is a .cmd script on Windows: it needs a shell there.
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
    ...options,
  })
  if (result.error) throw result.error
  return result.status ?? 1
}

const binary = electronBinary()
if (!binary.path) notRun(binary.why)

let wrap = []
if (process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY']) {
  // A headless Linux machine: a virtual X server if there is one, else say why nothing ran.
  if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error)
    notRun('no display (DISPLAY and WAYLAND_DISPLAY are unset) and no xvfb-run (apt-get install -y xvfb)')
  wrap = ['xvfb-run', '--auto-servernum', '--']
}

if (!process.argv.includes('--skip-build')) {
  const built = run('npx', ['electron-vite', 'build'])
  if (built !== 0) process.exit(built)
}
if (!existsSync(join(ROOT, 'out', 'main', 'index.js'))) {
  console.error('Electron smoke test: FAILED — out/main/index.js is missing: `npm run build` first')
  process.exit(1)
}

console.log(`Electron smoke test: running with ${binary.path}`)
const vitest = ['npx', 'vitest', 'run', '--config', 'vitest.electron.config.ts']
const [command, ...args] = [...wrap, ...vitest]
const status = run(command, args)
console.log(`Electron smoke test: ${status === 0 ? 'PASSED' : `FAILED (exit ${status})`}`)
process.exit(status)
