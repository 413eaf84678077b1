#!/usr/bin/env node
// The CLI is built by `npm run build` (electron-vite) into out/main/cli.js.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const built = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(built)) {
  console.error('modeldl: not built yet. Run `npm run build` in the project folder first.')
  process.exit(2)
}
await import(pathToFileURL(built).href)
