// Paths of the built app (`npm run build`, which `npm test` runs first): tests run the real outputs.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const CLI_BIN = join(ROOT, 'bin/modeldl.js')
const CLI_BUNDLE = join(ROOT, 'out/main/cli.js')

/** The worker entry as electron-vite emitted it for `?modulePath` (its file name carries a hash). */
export function builtWorkerEntry(): string {
  if (!existsSync(CLI_BUNDLE)) throw new Error('out/main/cli.js is missing: run `npm run build` first')
  const m = /import\.meta\.dirname, "([^"]+\.js)"/.exec(readFileSync(CLI_BUNDLE, 'utf8'))
  if (!m) throw new Error('Could not find the worker entry referenced by out/main/cli.js')
  return join(ROOT, 'out/main', m[1]!)
}
