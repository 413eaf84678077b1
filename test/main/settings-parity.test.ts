// One settings.json, three doors: the CLI's context, `modeldl serve`'s store and the desktop app's
// store (electron faked at its boundary, electron-store real) derive the same ServiceSettings.
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { cliContext } from '../../src/cli/cli-settings'
import { writeSettingsFile } from '../../src/core/app/settings-file'
import { defaultAppSettings, FileSettingsStore } from '../../src/core/app/settings-store'
import { ElectronSettingsStore } from '../../src/main/settings/electron-settings-store'
import { tempDirs } from '../support/temp'
import { FakeSafeStorage } from './support/fake-electron'

vi.mock('electron', async () => (await import('./support/fake-electron')).electronModule)
// electron-store loads the real electron npm package outside Vitest: see electron-settings-store.test.ts.
vi.hoisted(() => vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', '/nonexistent/electron-dist'))
afterAll(() => vi.unstubAllEnvs())

const temp = tempDirs()
afterEach(() => temp.cleanup())

describe('the same settings.json gives the same service settings through every door', () => {
  it.each([
    ['automatic connections per file', { concurrency: 12, connectionsPerFile: 0 }, 48],
    ['two connections per file', { concurrency: 20, connectionsPerFile: 2 }, 40],
    ['the default budget', { concurrency: 2, connectionsPerFile: 0 }, 32],
  ])('%s', async (_what, tuning, maxConnections) => {
    const dir = await temp.make('settings-parity-')
    const home = join(dir, 'state')
    const models = join(dir, 'models')
    await writeSettingsFile(join(home, 'settings.json'), {
      ...tuning,
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: false,
      modelsRoots: [models, join(dir, 'more-models')],
      partSize: 16 * 1024 * 1024,
      bandwidthLimitBps: 5_000_000,
      compressedSiblings: true,
      maxConnections: 16, // an older CLI's field: no door lets it cut the concurrency
    })
    const env = { AWS_PROFILE: 'work', AWS_BUCKET_NAME: 'models' }

    const cli = await cliContext({ home }, env)
    const serve = await FileSettingsStore.open(join(home, 'settings.json'), { env, home: dir, watch: false })
    const app = await ElectronSettingsStore.open({
      safeStorage: new FakeSafeStorage(),
      defaults: defaultAppSettings(env, dir),
      cwd: join(dir, 'user-data'),
      settingsFile: join(home, 'settings.json'),
      env,
      home: dir,
      watch: false,
      platform: 'linux',
      log: { info: () => {}, warn: () => {} },
    })

    expect(cli.settings).toMatchObject({
      concurrency: tuning.concurrency,
      maxConnections,
      compressedSiblings: true,
      modelsRoots: [models, join(dir, 'more-models')],
      s3: { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', profile: 'work', forcePathStyle: false },
      tuning: { connectionsPerFile: tuning.connectionsPerFile, partSize: 16 * 1024 * 1024 },
    })
    expect(serve.serviceSettings()).toEqual(cli.settings)
    expect(app.serviceSettings()).toEqual(cli.settings)
    // And what each shows in its window agrees too (the app adds only its keys' state).
    expect(app.view().settings).toEqual(serve.view().settings)
    expect(cli.modelsRoots).toEqual(serve.current().modelsRoots)
  })
})
