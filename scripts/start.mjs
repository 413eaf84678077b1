#!/usr/bin/env node
// `npm start`: builds and opens the desktop app with electron-vite preview, but first checks that the
// Electron binary is there. Without it electron-vite dies with "Error: Electron uninstall" and a stack
// trace that says nothing about what to do; installs made with ELECTRON_SKIP_BINARY_DOWNLOAD (CI here)
// or without access to GitHub have no binary.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * Where electron-vite will look for the binary, and whether it is there. Read the way electron-vite
 * reads it (ELECTRON_EXEC_PATH, else the package's path.txt and dist/), never by require('electron'):
 * that call starts a download from GitHub when the binary is missing.
 */
export function electronBinary(env = process.env) {
  if (env.ELECTRON_EXEC_PATH) {
    return { shown: env.ELECTRON_EXEC_PATH, present: existsSync(env.ELECTRON_EXEC_PATH) }
  }
  let dir
  try {
    dir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { shown: 'node_modules/electron', present: false }
  }
  const pathFile = join(dir, 'path.txt')
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : ''
  const file = name || (process.platform === 'win32' ? 'electron.exe' : 'electron')
  // Shown as the project sees it: node_modules may be a link to elsewhere.
  return {
    shown: `node_modules/electron/dist/${file}`,
    present: name !== '' && existsSync(join(dir, 'dist', file)),
  }
}

/** What to tell someone who typed `npm start` on a machine without the binary. */
export function missingBinaryMessage(binary, nodeVersion = process.versions.node) {
  const [major, minor] = nodeVersion.split('.').map(Number)
  const oldNode = major < 22 || (major === 22 && minor < 12)
  return [
    `npm start: the Electron binary is not installed (${binary.shown} is missing).`,
    '',
    "The desktop app needs it. electron's install script downloads it from GitHub; it was skipped",
    '(ELECTRON_SKIP_BINARY_DOWNLOAD=1) or could not reach github.com. To install it:',
    '',
    '  npx install-electron          # or: unset ELECTRON_SKIP_BINARY_DOWNLOAD; npm rebuild electron',
    ...(oldNode
      ? ['', `Electron 45's installer needs Node.js 22.12 or newer; this is Node.js ${nodeVersion}.`]
      : []),
    '',
    'No desktop here (a server, a GPU pod, CI)? The same window runs in a browser:',
    '',
    '  npx modeldl serve --ui        # then open the printed http://127.0.0.1:8765/?token=… address',
    '',
    'Every modeldl command works without Electron: npx modeldl help',
  ].join('\n')
}

// Run only as a script, so that a test can import the two functions above.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const binary = electronBinary()
  if (!binary.present) {
    console.error(missingBinaryMessage(binary))
    process.exit(1)
  }
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
  const child = spawn(process.execPath, [cli, 'preview', ...process.argv.slice(2)], { stdio: 'inherit' })
  // Ctrl-C reaches the child through the terminal; this process only waits and passes on its end.
  process.on('SIGINT', () => undefined)
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
