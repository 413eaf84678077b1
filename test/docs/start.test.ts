// `npm start` where the Electron binary is missing (an install with ELECTRON_SKIP_BINARY_DOWNLOAD, CI
// here): a message that says what is missing and what to do, not electron-vite's stack trace.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/built'

describe('npm start without the Electron binary', () => {
  it('says what is missing, how to install it, and that serve --ui gives the same window', () => {
    // A binary path that cannot exist makes the binary absent on any machine, this one's install aside.
    const missing = join(ROOT, 'node_modules', '.no-such-electron', 'electron')
    const run = spawnSync('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, ELECTRON_EXEC_PATH: missing },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain(`the Electron binary is not installed (${missing} is missing)`)
    expect(run.stderr).toContain('npx install-electron')
    expect(run.stderr).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD')
    expect(run.stderr).toContain('npx modeldl serve --ui')
    expect(run.stderr).not.toMatch(/Electron uninstall|\n\s+at /)
    // It stops before electron-vite builds anything.
    expect(run.stdout).not.toContain('building')
  })
})
