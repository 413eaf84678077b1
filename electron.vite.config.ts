import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

// One build for every process: main (Electron), the transfer worker (reached through `?modulePath`
// so Electron's utilityProcess and Node's child_process fork the same file) and the `modeldl` CLI,
// which is plain Node and never imports electron.
export default defineConfig({
  main: {
    build: {
      // The transfer worker is started for every CLI command and every app launch: one bundled file
      // loads several times faster than the SDK's hundreds of small modules from node_modules.
      externalizeDeps: {
        // @smithy/signature-v4 too: its CommonJS build would load a second copy of @smithy/core (~0.1 s).
        exclude: [
          '@aws-sdk/client-s3',
          '@aws-sdk/checksums',
          '@smithy/node-http-handler',
          '@smithy/signature-v4',
          'zod',
        ],
      },
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/cli/index.ts'),
          // Forks the worker for `modeldl get` before cli.js loads (bin/modeldl.js); a few KB.
          prefork: resolve('src/worker/prefork.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot be an ES module: emit CommonJS.
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
    plugins: [react(), tailwindcss()],
  },
})
