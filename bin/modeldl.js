#!/usr/bin/env node
// The CLI is built by `npm run build` (electron-vite) into out/main/cli.js.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const built = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(built)) {
  console.error('modeldl: not built yet. Run `npm run build` in the project folder first.')
  process.exit(2)
}
// `get` runs its transfers in a worker process: fork it first, so that its start overlaps the CLI
// bundle's (the worker waits for the CLI to take it; see src/core/worker-prefork.ts).
const args = process.argv.slice(2)
const prefork = fileURLToPath(new URL('../out/main/prefork.js', import.meta.url))
if (args[0] === 'get' && !args.includes('--help') && !args.includes('-h') && existsSync(prefork)) {
  await import(pathToFileURL(prefork).href)
}
await import(pathToFileURL(built).href)
