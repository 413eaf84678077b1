import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'

/**
 * The model config a launch was asked to open: `Model Downloader models.json`, a file opened with the
 * app from a file manager, or the arguments a second launch hands over. The first argument that names
 * an existing `.json` file wins; flags (Chromium's and ours) and the app's own path are skipped.
 */
export function configPathFromArgv(argv: readonly string[], cwd: string): string | null {
  // argv[0] is the executable; in development argv[1] is the app folder ("."), never a .json file.
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-') || !arg.toLowerCase().endsWith('.json')) continue
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg)
    try {
      if (existsSync(path) && statSync(path).isFile()) return path
    } catch {
      // unreadable: not a config we can open
    }
  }
  return null
}
