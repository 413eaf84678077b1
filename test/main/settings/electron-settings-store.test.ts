import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { defaultAppSettings } from '../../../src/core/app/settings-store'
import { ElectronSettingsStore } from '../../../src/main/settings/electron-settings-store'
import { keyStorageStatus } from '../../../src/main/settings/key-storage'
import { SETTINGS_LAYOUT_SEMVER, storeSchema } from '../../../src/main/settings/settings-schema'
import type { SettingsView } from '../../../src/shared/settings'
import { tempDirs } from '../../support/temp'
import { FakeSafeStorage } from '../support/fake-electron'
import { apiRejection as rejection } from '../../support/api-rejection'

// electron-store is the real one, on real files. Node loads it outside Vitest's module graph, so it
// imports the real `electron` npm package, which in plain Node only exports the binary's path and tries
// to download a missing binary; pointing ELECTRON_OVERRIDE_DIST_PATH anywhere makes it just return the
// path. electron-store needs nothing from Electron when given `cwd` and `projectVersion`, as we do.
vi.hoisted(() => vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', '/nonexistent/electron-dist'))
afterAll(() => vi.unstubAllEnvs())

const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const DEFAULTS = defaultAppSettings({}, '/home/me')

const temp = tempDirs()
let dir: string
let safeStorage: FakeSafeStorage
let log: { info: Mock<(message: string) => void>; warn: Mock<(message: string) => void> }

beforeEach(async () => {
  dir = await temp.make('settings-')
  safeStorage = new FakeSafeStorage()
  log = { info: vi.fn(), warn: vi.fn() }
})
afterEach(() => temp.cleanup())

const stores: ElectronSettingsStore[] = []
afterEach(() => stores.splice(0).forEach((s) => s.close()))
const open = async (platform: NodeJS.Platform = 'linux', watch = false) => {
  const store = await ElectronSettingsStore.open({
    safeStorage,
    defaults: DEFAULTS,
    cwd: dir,
    settingsFile: stateFile(),
    env: {},
    home: '/home/me',
    watch,
    platform,
    log,
  })
  stores.push(store)
  return store
}
/** The app's electron-store file: only what concerns keys. */
const file = () => join(dir, 'settings.json')
/** The state folder's settings.json: every other setting, shared with the CLI and serve. */
const stateFile = () => join(dir, 'state', 'settings.json')
const stateJson = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as Record<string, unknown>
const fileText = () => readFile(file(), 'utf8')
const fileJson = async () => JSON.parse(await fileText()) as Record<string, unknown>

const withKeys = { s3: { credentials: 'keys' as const, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } }

describe('ElectronSettingsStore: file, schema, patches', () => {
  it('starts from the defaults, keeps no settings but keys in its own file, and writes the layout version', async () => {
    const store = await open()
    expect(store.path).toBe(file())
    expect(store.settingsFile).toBe(stateFile())
    expect(store.view()).toEqual({
      settings: DEFAULTS,
      keyStorage: { available: true, scope: expect.stringContaining('its own AWS credential chain') },
    })
    const json = await fileJson()
    expect(json).not.toHaveProperty('settings')
    expect(json['__internal__']).toEqual({ migrations: { version: SETTINGS_LAYOUT_SEMVER } })
  })

  it('applies a validated patch, persists it and tells the listeners', async () => {
    const store = await open()
    const seen: SettingsView[] = []
    const off = store.onChange((v) => seen.push(v))
    const view = await store.update({ concurrency: 5, s3: { bucket: 'my-models' }, modelsRoot: '/data/m/' })
    expect(view.settings).toMatchObject({
      concurrency: 5,
      modelsRoot: '/data/m',
      s3: { bucket: 'my-models' },
    })
    expect(seen).toEqual([view])
    // In the state folder's file, in the format every modeldl command reads; not in the app's own.
    expect(await stateJson()).toEqual({ concurrency: 5, bucket: 'my-models', modelsRoots: ['/data/m'] })
    expect(await fileJson()).not.toHaveProperty('settings')
    off()
    await store.update({ concurrency: 6 })
    expect(seen).toHaveLength(1)
    // A second open reads what was written.
    expect((await open()).view().settings.concurrency).toBe(6)
  })

  it('refuses a patch that fails the schema, naming the field, and changes nothing', async () => {
    const store = await open()
    const before = await fileText()
    const tooMany = await rejection(store.update({ concurrency: 99 }))
    expect(tooMany.code).toBe('bad_request')
    expect(tooMany.message).toBe('Invalid settings: concurrency: must be at most 64')
    const unknown = await rejection(store.update({ colour: 'blue' } as never))
    expect(unknown.code).toBe('bad_request')
    const bucket = await rejection(store.update({ s3: { bucket: 'Not_A_Bucket' } }))
    expect(bucket.message).toContain('s3.bucket: must be a bucket name')
    expect(await fileText()).toBe(before)
    await expect(readFile(stateFile())).rejects.toMatchObject({ code: 'ENOENT' })
    expect(store.view().settings).toEqual(DEFAULTS)
  })

  it('applies updates in the order they were made, even with encryption in between', async () => {
    const store = await open()
    const first = store.update(withKeys)
    const second = store.update({ concurrency: 7 })
    const third = store.update({ concurrency: 8 })
    await Promise.all([first, second, third])
    expect(store.view().settings).toMatchObject({ concurrency: 8, s3: { credentials: 'keys' } })
  })

  it('moves a file that fails the schema aside and starts from the defaults', async () => {
    await writeFile(file(), JSON.stringify({ settings: { ...DEFAULTS, concurrency: 'three' } }))
    const store = await open()
    expect(store.view().settings).toEqual(DEFAULTS)
    const aside = (await readdir(dir)).filter((f) => f.startsWith('settings.json.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(JSON.parse(await readFile(join(dir, aside[0]!), 'utf8'))).toMatchObject({
      settings: { concurrency: 'three' },
    })
    expect(log.warn).toHaveBeenCalledWith(expect.stringMatching(/could not be used .*schema.*moved to/i))
  })

  it('moves unreadable JSON aside too', async () => {
    await writeFile(file(), '{"settings": {')
    const store = await open()
    expect(store.view().settings).toEqual(DEFAULTS)
    expect((await readdir(dir)).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true)
  })

  it('has a JSON Schema for each top-level key that rejects a bad value', () => {
    const schema = storeSchema()
    expect(Object.keys(schema).sort()).toEqual(['accessKeyHint', 'credentials', 'keys', 'settings'])
    expect(schema.settings).toMatchObject({ type: 'object', additionalProperties: false })
    expect(schema.keys).toMatchObject({ required: ['accessKeyId', 'secretAccessKey'] })
  })
})

describe('ElectronSettingsStore: migration from layout 1', () => {
  const layout1 = {
    endpoint: 'http://127.0.0.1:9000',
    region: 'eu-west-1',
    bucket: 'my-models',
    profile: 'work',
    forcePathStyle: false,
    networkVolume: '/workspace',
    modelsRoots: ['/data/models/', '/other/models'],
    concurrency: 5,
    maxConnections: 32,
    connectionsPerFile: 4,
    partSize: 128 * 1024 * 1024,
    bandwidthLimitBps: 10_000_000,
    compressedSiblings: true,
    notifications: false,
  }

  it.each([
    ['recorded as layout 1', { __internal__: { migrations: { version: '1.0.0' } } }],
    ['from before versions were recorded', {}],
  ])('moves the flat fields into settings (%s)', async (_what, internal) => {
    await writeFile(file(), JSON.stringify({ ...layout1, ...internal }))
    const store = await open()
    expect(store.view().settings).toEqual({
      ...DEFAULTS,
      s3: {
        ...DEFAULTS.s3,
        endpoint: 'http://127.0.0.1:9000',
        region: 'eu-west-1',
        bucket: 'my-models',
        profile: 'work',
        forcePathStyle: false,
      },
      networkVolume: '/workspace',
      modelsRoot: '/data/models',
      concurrency: 5,
      connectionsPerFile: 4,
      partSizeMiB: 128,
      bandwidthLimitBps: 10_000_000,
      compressedSiblings: true,
      notifications: false,
    })
    const json = await fileJson()
    expect(Object.keys(json).sort()).toEqual(['__internal__', 'accessKeyHint', 'credentials'])
    expect(json['__internal__']).toEqual({ migrations: { version: SETTINGS_LAYOUT_SEMVER } })
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('to 2.0.0'))
    // Only what differs from the defaults moved to the state folder.
    expect(await stateJson()).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      bucket: 'my-models',
      profile: 'work',
      forcePathStyle: false,
      networkVolume: '/workspace',
      modelsRoots: ['/data/models'],
      concurrency: 5,
      connectionsPerFile: 4,
      partSize: 128 * 1024 * 1024,
      bandwidthLimitBps: 10_000_000,
      compressedSiblings: true,
      notifications: false,
    })
    // Migrated once: a second open leaves the file as it is.
    const migrated = await fileText()
    await open()
    expect(await fileText()).toBe(migrated)
  })

  it('leaves an existing state folder settings.json as it is: the old app settings are not copied over it', async () => {
    await mkdir(join(dir, 'state'))
    await writeFile(stateFile(), JSON.stringify({ concurrency: 2 }))
    await writeFile(
      file(),
      JSON.stringify({ ...layout1, __internal__: { migrations: { version: '1.0.0' } } }),
    )
    const store = await open()
    expect(store.view().settings.concurrency).toBe(2)
    expect(await stateJson()).toEqual({ concurrency: 2 })
    expect(await fileJson()).not.toHaveProperty('settings')
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('were not copied'))
  })

  it('drops layout-1 values the new schema refuses and keeps the defaults for them', async () => {
    await writeFile(
      file(),
      JSON.stringify({
        endpoint: 'not a url',
        bucket: 'ok-bucket',
        concurrency: 99,
        partSize: 'big',
        modelsRoots: ['relative/models'],
        notifications: 'yes',
        __internal__: { migrations: { version: '1.0.0' } },
      }),
    )
    const store = await open()
    const { settings } = store.view()
    expect(settings.s3.endpoint).toBe('')
    expect(settings.s3.bucket).toBe('ok-bucket')
    expect(settings.concurrency).toBe(DEFAULTS.concurrency)
    expect(settings.partSizeMiB).toBe(DEFAULTS.partSizeMiB)
    expect(settings.modelsRoot).toBe(DEFAULTS.modelsRoot)
    expect(settings.notifications).toBe(true)
    expect((await readdir(dir)).some((f) => f.includes('corrupt'))).toBe(false)
  })
})

describe('ElectronSettingsStore: access keys', () => {
  it('encrypts keys at rest: neither the keys nor their base64 are in the file', async () => {
    const store = await open()
    const view = await store.update(withKeys)
    expect(safeStorage.encrypted).toEqual([ACCESS_KEY_ID, SECRET])
    const text = await fileText()
    for (const secret of [ACCESS_KEY_ID, SECRET]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(Buffer.from(secret).toString('base64'))
    }
    const keys = (await fileJson())['keys'] as { accessKeyId: string; secretAccessKey: string }
    // What is there is safeStorage's output, and decrypts back with it.
    const decrypted = await safeStorage.decryptStringAsync(Buffer.from(keys.secretAccessKey, 'base64'))
    expect(decrypted.result).toBe(SECRET)
    expect(view.settings.s3).toMatchObject({ credentials: 'keys', accessKeyHint: 'AKIA…' })
    expect(log.info).toHaveBeenCalledWith('Stored new access keys (AKIA…) encrypted')
  })

  it('never gives the keys back in a view or to listeners; main reads them decrypted, also after a restart', async () => {
    const store = await open()
    const seen: SettingsView[] = []
    store.onChange((v) => seen.push(v))
    const view = await store.update(withKeys)
    for (const shown of [view, store.view(), ...seen]) {
      const json = JSON.stringify(shown)
      expect(json).not.toContain(ACCESS_KEY_ID)
      expect(json).not.toContain(SECRET)
      expect(json).not.toContain('secretAccessKey')
    }
    expect(store.credentials()).toEqual({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET })

    const reopened = await open()
    expect(reopened.credentials()).toEqual({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET })
    expect(JSON.stringify(reopened.view())).not.toContain(SECRET)
  })

  it('uses stored keys only while credentials is "keys", and forgets them on clearKeys', async () => {
    const store = await open()
    await store.update(withKeys)
    await store.update({ s3: { credentials: 'chain' } })
    expect(store.credentials()).toBeUndefined()
    expect((await fileJson())['keys']).toBeDefined() // kept for switching back
    await store.update({ s3: { credentials: 'keys' } })
    expect(store.credentials()?.accessKeyId).toBe(ACCESS_KEY_ID)

    const cleared = await store.update({ s3: { clearKeys: true } })
    expect(cleared.settings.s3).toMatchObject({ credentials: 'chain', accessKeyHint: '' })
    expect(store.credentials()).toBeUndefined()
    expect(await fileJson()).not.toHaveProperty('keys')
  })

  it('asks for both halves of a key pair, and for keys before switching to them', async () => {
    const store = await open()
    const half = await rejection(store.update({ s3: { accessKeyId: ACCESS_KEY_ID } }))
    expect(half).toMatchObject({ code: 'bad_request', message: expect.stringContaining('both') })
    const none = await rejection(store.update({ s3: { credentials: 'keys' } }))
    expect(none).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('No keys are stored'),
    })
    expect(safeStorage.encrypted).toEqual([])
  })

  it('refuses keys when only the plain-text backend is available on Linux, and says why', async () => {
    safeStorage.backend = 'basic_text'
    const store = await open('linux')
    expect(store.view().keyStorage).toMatchObject({
      available: false,
      reason: expect.stringContaining('keyring'),
    })
    const before = await fileText()
    const refused = await rejection(store.update(withKeys))
    expect(refused.code).toBe('forbidden')
    expect(refused.message).toMatch(/No keyring is available.*any program of this user could read/)
    expect(refused.message).toContain('AWS credential chain')
    expect(safeStorage.encrypted).toEqual([])
    expect(await fileText()).toBe(before)
    expect(await rejection(store.update({ s3: { credentials: 'keys' } }))).toMatchObject({
      code: 'forbidden',
    })
    // Everything that is not a key still saves.
    expect((await store.update({ concurrency: 4 })).settings.concurrency).toBe(4)
  })

  it('refuses keys where safeStorage cannot encrypt at all, on every platform', async () => {
    safeStorage.available = false
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const store = await open(platform)
      expect(store.view().keyStorage.available).toBe(false)
      const refused = await rejection(store.update(withKeys))
      expect(refused.code).toBe('forbidden')
      expect(refused.message).toContain('no encryption for stored secrets')
    }
  })

  it('asks again at each key update: a keyring unlocked since the start is used', async () => {
    safeStorage.backend = 'basic_text'
    const store = await open('linux')
    await rejection(store.update(withKeys))
    safeStorage.backend = 'kwallet6'
    const view = await store.update(withKeys)
    expect(view.keyStorage).toMatchObject({ available: true })
    expect(store.credentials()?.secretAccessKey).toBe(SECRET)
  })

  it('keeps keys it cannot decrypt now (keyring locked) for a later start, and says so', async () => {
    await (await open()).update(withKeys)
    safeStorage.available = false
    const locked = await open()
    expect(locked.credentials()).toBeUndefined()
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('cannot be decrypted now'))
    expect((await fileJson())['keys']).toBeDefined()
    safeStorage.available = true
    expect((await open()).credentials()?.accessKeyId).toBe(ACCESS_KEY_ID)
  })
})

describe('ElectronSettingsStore: the state folder shared with the CLI and serve', () => {
  it('keeps keys out of the state folder, and shows a change another process made there', async () => {
    const store = await open('linux', true)
    await store.update({ ...withKeys, concurrency: 4 })
    const shared = await readFile(stateFile(), 'utf8')
    expect(shared).not.toContain(ACCESS_KEY_ID)
    expect(JSON.parse(shared)).toEqual({ concurrency: 4 })

    const seen: SettingsView[] = []
    store.onChange((v) => seen.push(v))
    // As `modeldl serve`'s window or a hand edit would: the whole file, renamed into place.
    await writeFile(`${stateFile()}.tmp`, JSON.stringify({ concurrency: 6 }))
    await rename(`${stateFile()}.tmp`, stateFile())
    await expect.poll(() => seen.at(-1)?.settings.concurrency, { timeout: 3_000 }).toBe(6)
    // The keys stay in use: they are the app's, not the file's.
    expect(seen.at(-1)?.settings.s3).toMatchObject({ credentials: 'keys', accessKeyHint: 'AKIA…' })
    expect(store.serviceSettings().s3).toMatchObject({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET })
    expect(store.serviceSettings().concurrency).toBe(6)
  })
})

describe('keyStorageStatus', () => {
  it('accepts a real keyring on Linux and the OS store elsewhere; refuses basic_text and unknown', async () => {
    const s = new FakeSafeStorage()
    for (const backend of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'] as const) {
      s.backend = backend
      expect(await keyStorageStatus(s, 'linux'), backend).toEqual({ available: true })
    }
    for (const backend of ['basic_text', 'unknown'] as const) {
      s.backend = backend
      expect((await keyStorageStatus(s, 'linux')).available, backend).toBe(false)
      // The backend question is Linux's only: macOS and Windows always use the OS store.
      expect(await keyStorageStatus(s, 'darwin')).toEqual({ available: true })
      expect(await keyStorageStatus(s, 'win32')).toEqual({ available: true })
    }
  })
})
