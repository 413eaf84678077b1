import { defineConfig } from 'vitest/config'

// The Electron smoke test only: run by scripts/test-electron.mjs (`npm run test:electron`), which
// first checks that the Electron binary is installed. The default config never picks these files up.
export default defineConfig({
  test: {
    include: ['test/electron/**/*.electron.ts'],
    pool: 'forks',
    // One app at a time: it owns its state folder and a single-instance lock.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
