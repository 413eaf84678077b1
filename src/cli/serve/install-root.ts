import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface InstallRoot {
  dir: string
  version: string
}

/**
 * The project folder this `modeldl` runs from: the nearest package.json above this code, whether it
 * runs built (out/main/cli.js) or from source (tests). The UI (out/renderer) and the sample config
 * (resources/) are found from there.
 */
export function findInstallRoot(from: string = import.meta.dirname): InstallRoot {
  let dir = from
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string }
        if (json.name === 'model-downloader') return { dir, version: json.version ?? '0.0.0' }
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`Cannot find the Model Downloader's package.json above ${from}`)
    dir = up
  }
}
