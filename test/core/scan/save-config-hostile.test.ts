// saveModelConfig with names and paths an attacker chose: groups and keys named like Object.prototype's
// members are written and merged as plain keys, and the paths it must not write are refused with the
// file (or folder) left as it was. Real files, folders, links and FIFOs in a temp dir.
import { spawnSync } from 'node:child_process'
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, parseModelConfig } from '../../../src/core/config'
import { buildNestedConfig, saveModelConfig } from '../../../src/core/config/save-config'
import type { ModelInfo } from '../../../src/shared/api-contract'
import { tempDirs } from '../../support/temp'

const temp = tempDirs()
const PROTO_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']

type Nested = Record<string, Record<string, Record<string, unknown>>>

describe('saveModelConfig with hostile names and paths', () => {
  let dir: string
  let root: string
  beforeEach(async () => {
    dir = await temp.make('modeldl-save-hostile-')
    root = join(dir, 'models')
    await mkdir(root)
  })
  afterEach(() => temp.cleanup())

  const model = (group: string, file: string, size = 7): ModelInfo => ({
    id: join(root, group, file),
    entryId: `${group}/${file}`,
    group,
    modelName: file,
    s3Uri: `s3://models/models/${group}/${file}`,
    localPath: join(root, group, file),
    expectedSize: size,
  })
  /** In every group named like a prototype member, a model named so and a plain one. */
  const protoModels = () =>
    PROTO_NAMES.flatMap((name) => [model(name, `${name}.safetensors`), model(name, 'plain.safetensors')])
  const refusal = async (promise: Promise<unknown>): Promise<ConfigError> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  /** Names in the folder besides these: a temp file left behind would show here. */
  const others = async (...expected: string[]) =>
    (await readdir(dir)).filter((name) => !['models', ...expected].includes(name))

  it('writes groups and keys named __proto__, constructor, … as keys that JSON.parse gives back', async () => {
    const built = buildNestedConfig(protoModels(), {})
    const json = JSON.parse(JSON.stringify(built)) as Nested
    for (const name of PROTO_NAMES) {
      expect(Object.hasOwn(json, name), name).toBe(true)
      expect(Object.keys(json[name]!), name).toEqual([name, 'plain'])
      expect(Object.hasOwn(json[name]!, name), `${name}/${name}`).toBe(true)
    }
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype)

    const path = join(dir, 'proto.json')
    expect(await saveModelConfig({ path, mode: 'new', models: protoModels() }, {})).toEqual({
      path,
      written: PROTO_NAMES.length * 2,
      kept: 0,
    })
    const saved = JSON.parse(await readFile(path, 'utf8')) as Nested
    expect(saved).toEqual(json)
    const parsed = await parseModelConfig(saved, { modelsRoots: [root] })
    expect(parsed.entries.map((e) => e.localPath).sort()).toEqual(
      protoModels()
        .map((m) => m.localPath)
        .sort(),
    )
  })

  it('"merge" keeps and updates entries under such names in the existing file', async () => {
    const path = join(dir, 'existing.json')
    const entry = (group: string, key: string, extra: Record<string, unknown> = {}) => ({
      originalS3Path: `s3://models/models/${group}/${key}.safetensors`,
      localPath: join(root, group, `${key}.safetensors`),
      modelName: `${key}.safetensors`,
      modelSize: 1,
      directoryGroup: group,
      ...extra,
    })
    // Written as text: an object literal with a __proto__ key would set its prototype instead.
    const text = `{
      "__proto__": { "__proto__": ${JSON.stringify(entry('__proto__', '__proto__', { note: 'mine' }))} },
      "constructor": { "kept": ${JSON.stringify(entry('constructor', 'kept'))} },
      "hasOwnProperty": { "toString": ${JSON.stringify(entry('hasOwnProperty', 'toString'))} }
    }`
    await writeFile(path, text)
    const adding = [
      model('__proto__', '__proto__.safetensors', 50),
      model('constructor', 'constructor.safetensors', 60),
      model('toString', 'valueOf.safetensors', 70),
    ]
    expect(await saveModelConfig({ path, mode: 'merge', models: adding }, {})).toEqual({
      path,
      written: 3,
      kept: 2,
    })
    const merged = JSON.parse(await readFile(path, 'utf8')) as Nested
    expect(Object.keys(merged)).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])
    expect(Object.keys(merged['__proto__']!)).toEqual(['__proto__'])
    expect(merged['__proto__']!['__proto__']).toMatchObject({ modelSize: 50, note: 'mine' })
    expect(Object.keys(merged['constructor']!)).toEqual(['kept', 'constructor'])
    expect(Object.keys(merged['hasOwnProperty']!)).toEqual(['toString'])
    expect(Object.keys(merged['toString']!)).toEqual(['valueOf'])
    expect((await parseModelConfig(merged, { modelsRoots: [root] })).entries).toHaveLength(5)
  })

  it('refuses a dotfile or a name not ending in .json, and leaves what is there', async () => {
    for (const name of ['.bashrc', '.models.json', '.json']) {
      const path = join(dir, name)
      await writeFile(path, 'export PATH=/usr/bin\n')
      const err = await refusal(saveModelConfig({ path, mode: 'new', models: [] }, {}))
      expect(err.message, name).toMatch(/hidden file/)
      expect(await readFile(path, 'utf8')).toBe('export PATH=/usr/bin\n')
    }
    for (const name of ['models.txt', 'models', 'models.json.sh']) {
      const err = await refusal(saveModelConfig({ path: join(dir, name), mode: 'new', models: [] }, {}))
      expect(err.message, name).toMatch(/does not end in \.json/)
    }
    expect(await others('.bashrc', '.models.json', '.json')).toEqual([])
  })

  it('creates no folder: a missing one (or a file where the folder should be) is named in the refusal', async () => {
    const path = join(dir, 'a', 'b', 'models.json')
    const err = await refusal(saveModelConfig({ path, mode: 'new', models: [model('vae', 'x.pt')] }, {}))
    expect(err.message).toContain(`the folder ${join(dir, 'a', 'b')} does not exist`)
    await expect(stat(join(dir, 'a'))).rejects.toThrow(/ENOENT/)

    await writeFile(join(dir, 'plain'), 'x')
    const under = await refusal(
      saveModelConfig({ path: join(dir, 'plain', 'm.json'), mode: 'new', models: [] }, {}),
    )
    expect(under.message).toContain(`${join(dir, 'plain')} is not a folder`)
  })

  it('refuses a symlink at the path, pointing anywhere or nowhere, and writes nothing through it', async () => {
    const victim = join(dir, 'victim.json')
    await writeFile(victim, '{"keep": "me"}')
    const link = join(dir, 'link.json')
    await symlink(victim, link)
    for (const mode of ['new', 'merge'] as const) {
      const err = await refusal(saveModelConfig({ path: link, mode, models: [model('vae', 'x.pt')] }, {}))
      expect(err.message, mode).toMatch(/a symbolic link stands there/)
    }
    expect(await readFile(victim, 'utf8')).toBe('{"keep": "me"}')
    expect(await readlink(link)).toBe(victim)

    const dangling = join(dir, 'dangling.json')
    await symlink(join(dir, 'would-be-created.json'), dangling)
    await refusal(saveModelConfig({ path: dangling, mode: 'new', models: [model('vae', 'x.pt')] }, {}))
    await expect(lstat(join(dir, 'would-be-created.json'))).rejects.toThrow(/ENOENT/)
    expect(await others('victim.json', 'link.json', 'dangling.json')).toEqual([])
  })

  it('refuses a FIFO or a folder at the path, without opening it', async () => {
    const fifo = join(dir, 'pipe.json')
    const made = spawnSync('mkfifo', [fifo])
    expect(made.status, String(made.stderr)).toBe(0)
    for (const mode of ['new', 'merge'] as const) {
      const err = await refusal(saveModelConfig({ path: fifo, mode, models: [model('vae', 'x.pt')] }, {}))
      expect(err.message, mode).toMatch(/a named pipe \(FIFO\) stands there/)
    }
    expect((await lstat(fifo)).isFIFO()).toBe(true)

    const folder = join(dir, 'folder.json')
    await mkdir(folder)
    const err = await refusal(saveModelConfig({ path: folder, mode: 'new', models: [] }, {}))
    expect(err.message).toMatch(/a folder stands there/)
    expect(await others('pipe.json', 'folder.json')).toEqual([])
  })

  it('"merge" refuses a file that is not a model config, naming why, and leaves it alone', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['package.json', '{"name": "app", "version": "1.0.0"}', /name: expected an object of models/],
      [
        'tsconfig.json',
        '{"compilerOptions": {"strict": true}}',
        /compilerOptions\/strict: expected an object with/,
      ],
      [
        'half.json',
        JSON.stringify({ vae: { x: { originalS3Path: 's3://b/x.pt', modelName: 'x.pt', modelSize: 1 } } }),
        /vae\/x: localPath: missing/,
      ],
      ['number.json', '42', /not a nested model config/],
      [
        'one.json',
        JSON.stringify({ originalS3Path: 's3://b/x', localPath: '/x' }),
        /not a nested model config/,
      ],
    ]
    for (const [name, text, why] of cases) {
      const path = join(dir, name)
      await writeFile(path, text)
      const err = await refusal(saveModelConfig({ path, mode: 'merge', models: [model('vae', 'y.pt')] }, {}))
      expect(err.message, name).toMatch(why)
      expect(err.message, name).toContain('nothing was changed')
      expect(await readFile(path, 'utf8'), name).toBe(text)
    }
    expect(await others(...cases.map(([name]) => name))).toEqual([])
  })

  it('replaces a regular file atomically, keeping its permissions and leaving no temp file', async () => {
    const path = join(dir, 'private.json')
    await writeFile(path, '{}')
    await chmod(path, 0o600)
    const before = await stat(path)
    await saveModelConfig({ path, mode: 'merge', models: [model('vae', 'x.pt')] }, {})
    const after = await stat(path)
    expect(after.mode & 0o777).toBe(0o600)
    expect(after.ino).not.toBe(before.ino)
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')) as object)).toEqual(['vae'])
    expect(await others('private.json')).toEqual([])
  })
})
