import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadModelConfigFile } from '../../../src/core/config'
import { flatModel, makeLayout, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

async function configFile(
  text: string,
): Promise<{ file: string; options: Awaited<ReturnType<typeof makeLayout>>['options'] }> {
  const { base, options } = await makeLayout()
  const file = join(base, 'models.json')
  await writeFile(file, text)
  return { file, options }
}

describe('loadModelConfigFile', () => {
  it('names the file when it is missing, a folder, or unreadable', async () => {
    const { base, options } = await makeLayout()
    const missing = join(base, 'nope.json')
    expect((await rejection(loadModelConfigFile(missing, options))).message).toBe(
      `Model config ${missing}: file not found`,
    )
    const folder = join(base, 'folder.json')
    await mkdir(folder)
    expect((await rejection(loadModelConfigFile(folder, options))).message).toBe(
      `Model config ${folder}: is a folder, not a file`,
    )
    // root reads everything, so the permission case only means something for other users.
    if (process.getuid?.() !== 0) {
      const locked = join(base, 'locked.json')
      await writeFile(locked, '[]')
      await chmod(locked, 0o000)
      expect((await rejection(loadModelConfigFile(locked, options))).message).toBe(
        `Model config ${locked}: permission denied`,
      )
    }
  })

  it('gives the line and column of a JSON error', async () => {
    const { file, options } = await configFile('{\n  "loras": {\n    "foo": { "modelSize": 1, }\n  }\n}\n')
    const err = await rejection(loadModelConfigFile(file, options))
    expect(err.issues).toHaveLength(1)
    expect(err.message).toBe(
      `Model config ${file}: not valid JSON at line 3, column 30: Expected double-quoted property name`,
    )
  })

  it('locates errors V8 reports without a position (a trailing comma in an array)', async () => {
    const { file, options } = await configFile('[\n  {"a": 1},\n]')
    const err = await rejection(loadModelConfigFile(file, options))
    expect(err.message).toBe(`Model config ${file}: not valid JSON at line 3, column 1: Unexpected token ']'`)
  })

  it('says so for an empty file', async () => {
    const { file, options } = await configFile('  \n')
    expect((await rejection(loadModelConfigFile(file, options))).message).toBe(
      `Model config ${file}: the file is empty; expected JSON`,
    )
  })

  it('accepts a byte-order mark and names the file in entry errors', async () => {
    const good = await configFile(`\uFEFF${JSON.stringify([flatModel()])}`)
    expect((await loadModelConfigFile(good.file, good.options)).entries).toHaveLength(1)

    const bad = await configFile(JSON.stringify({ loras: { foo: flatModel({ modelSize: '12MB' }) } }))
    const err = await rejection(loadModelConfigFile(bad.file, bad.options))
    expect(err.source).toBe(bad.file)
    expect(err.message).toBe(
      `Model config ${bad.file}: loras/foo: modelSize: expected a whole number of bytes ≥ 0, got "12MB"`,
    )
  })
})
