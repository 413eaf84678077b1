import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfigFile, loadConfigText } from '../../../src/core/app/loaded-config'
import { loadModelConfigFile, parseModelConfig } from '../../../src/core/config'
import { makeLayout, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

// Keys an object literal or a prototype lookup would take for something other than data.
const NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'prototype', 'valueOf']

/** Written as text: JSON.parse makes `__proto__` an own key, as it would in a real file. */
function modelText(root: string, group: string, key: string, extra = ''): string {
  const fields = {
    originalS3Path: `models/${group}/${key}.bin`,
    localPath: join(root, group, `${key}.bin`),
    modelName: key,
    modelSize: 10,
    directoryGroup: group,
  }
  return `${JSON.stringify(fields).slice(0, -1)}${extra}}`
}

function nestedText(root: string): string {
  const groups = NAMES.map(
    (group) =>
      `${JSON.stringify(group)}: {${NAMES.map((key) => `${JSON.stringify(key)}: ${modelText(root, group, key)}`).join(', ')}}`,
  )
  return `{${groups.join(', ')}}`
}

describe('group and model names that are JavaScript object keys', () => {
  it('are all kept as data in the nested format, through the file and the app', async () => {
    const { base, root, options } = await makeLayout()
    const file = join(base, 'config.json')
    await writeFile(file, nestedText(root))

    const config = await loadModelConfigFile(file, options)
    const expected = NAMES.flatMap((group) => NAMES.map((key) => `${group}/${key}`))
    expect(config.entries.map((entry) => entry.id)).toEqual(expected)
    for (const entry of config.entries) {
      expect(entry.localPath).toBe(join(root, entry.group, `${entry.key}.bin`))
      expect(Object.getPrototypeOf(entry)).toBe(Object.prototype)
    }

    const app = await loadConfigFile(file, options)
    if (!app.ok) throw new Error(app.message)
    expect(app.config.models.map((model) => model.entryId)).toEqual(expected)
    expect(Object.keys(app.config.local)).toHaveLength(expected.length)

    const text = await loadConfigText('dropped.json', nestedText(root), options)
    if (!text.ok) throw new Error(text.message)
    expect(text.config.models).toHaveLength(expected.length)
  })

  it('are kept as data in the flat format (directoryGroup and modelName)', async () => {
    const { root, options } = await makeLayout()
    const json: unknown = JSON.parse(`[${NAMES.map((name) => modelText(root, name, name)).join(',')}]`)
    const config = await parseModelConfig(json, options)
    expect(config.entries.map((entry) => entry.id)).toEqual(NAMES.map((name) => `${name}/${name}`))
  })

  it('a model field named __proto__ is kept as an unknown field and lends the model nothing', async () => {
    const { root, options } = await makeLayout()
    const sha = 'a'.repeat(64)
    const lender = `, "__proto__": {"sha256": "${sha}", "symLinkedFrom": "/etc/passwd", "modelSize": 5}`
    const json: unknown = JSON.parse(`{"loras": {"foo": ${modelText(root, 'loras', 'foo', lender)}}}`)
    const [entry] = (await parseModelConfig(json, options)).entries
    expect(entry?.sha256).toBeUndefined()
    expect(entry?.symLinkedFrom).toBeUndefined()
    expect(entry?.expectedSize).toBe(10)
    expect(Object.keys(entry?.extra ?? {})).toEqual(['__proto__'])
    expect(Object.getOwnPropertyDescriptor(entry?.extra, '__proto__')?.value).toEqual({
      sha256: sha,
      symLinkedFrom: '/etc/passwd',
      modelSize: 5,
    })
    expect(Object.getPrototypeOf(entry?.extra)).toBe(Object.prototype)
  })

  it('a required field missing from a model is missing even when __proto__ holds it', async () => {
    const { root, options } = await makeLayout()
    const text = modelText(root, 'loras', 'foo').replace('"modelSize":10,', '')
    const json: unknown = JSON.parse(
      `{"loras": {"foo": ${text.slice(0, -1)}, "__proto__": {"modelSize": 5}}}}`,
    )
    const err = await rejection(parseModelConfig(json, options))
    expect(err.message).toBe(
      'Model config: loras/foo: modelSize: missing; expected a whole number of bytes ≥ 0',
    )
  })
})
