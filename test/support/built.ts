// Paths of the built app (`npm run build`, which `npm test` runs first): tests run the real outputs.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const CLI_BIN = join(ROOT, 'bin/modeldl.js')
const CLI_BUNDLE = join(ROOT, 'out/main/cli.js')

/**
 * The worker entry as electron-vite emitted it for `?modulePath` (its file name carries a hash). The
 * reference sits in cli.js, or in a chunk cli.js shares with the app's main (both import the worker).
 */
export function builtWorkerEntry(): string {
  if (!existsSync(CLI_BUNDLE)) throw new Error('out/main/cli.js is missing: run `npm run build` first')
  const cli = readFileSync(CLI_BUNDLE, 'utf8')
  const chunks = [...cli.matchAll(/from "(\.\/chunks\/[^"]+\.js)"/g)].map((m) =>
    join(dirname(CLI_BUNDLE), m[1]!),
  )
  for (const file of [CLI_BUNDLE, ...chunks]) {
    const m = /import\.meta\.dirname, "([^"]+\.js)"/.exec(
      file === CLI_BUNDLE ? cli : readFileSync(file, 'utf8'),
    )
    if (m) return join(dirname(file), m[1]!)
  }
  throw new Error('Could not find the worker entry referenced by out/main/cli.js or its chunks')
}
