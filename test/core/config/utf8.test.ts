import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/core/app/loaded-config'
import { loadModelConfigFile } from '../../../src/core/config'
import { firstInvalidByte } from '../../../src/core/config/utf8'
import { flatModel, makeLayout, rejection, temp } from './helpers'

afterEach(() => temp.cleanup())

const BAD = Buffer.from([0xff, 0xfe, 0x41])

/** The JSON text with `@BAD@` replaced by bytes that are not UTF-8. */
function withBadBytes(text: string): Buffer {
  const parts = text.split('@BAD@')
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [BAD, Buffer.from(part)])))
}

async function configFile(bytes: Buffer) {
  const layout = await makeLayout()
  const file = join(layout.base, 'models.json')
  await writeFile(file, bytes)
  return { file, ...layout }
}

describe('config bytes that are not UTF-8', () => {
  it('name the entry and field holding them, instead of writing U+FFFD into a path', async () => {
    const text = JSON.stringify({
      loras: {
        good: flatModel(),
        bad: flatModel({ localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/@BAD@.safetensors' }),
      },
      vae: { '@BAD@': flatModel({ modelName: 'x@BAD@' }) },
      '@BAD@': {},
    })
    const { file, options } = await configFile(withBadBytes(text))
    const err = await rejection(loadModelConfigFile(file, options))
    expect(err.issues).toEqual([
      { entry: 'loras/bad', field: 'localPath', message: 'is not valid UTF-8' },
      { entry: 'vae/\uFFFD\uFFFDA', field: '', message: 'the model key is not valid UTF-8' },
      { entry: '\uFFFD\uFFFDA', field: '', message: 'the group name is not valid UTF-8' },
    ])

    const app = await loadConfigFile(file, options)
    expect(app.ok).toBe(false)
  })

  it('in the flat format, name the index and field', async () => {
    const text = JSON.stringify([flatModel(), flatModel({ note: 'caf@BAD@' })])
    const { file, options } = await configFile(withBadBytes(text))
    const err = await rejection(loadModelConfigFile(file, options))
    expect(err.issues).toEqual([{ entry: '[1]', field: 'note', message: 'is not valid UTF-8' }])
  })

  it('outside any entry, give the byte offset', async () => {
    const { file, options } = await configFile(withBadBytes('[@BAD@]'))
    const err = await rejection(loadModelConfigFile(file, options))
    expect(err.message).toBe(
      `Model config ${file}: is not valid UTF-8: a byte that is not UTF-8 at byte offset 1`,
    )
  })

  it('a byte-order mark and valid multi-byte text are still accepted', async () => {
    const text = `\uFEFF${JSON.stringify([flatModel({ modelName: 'café 🙂.safetensors' })])}`
    const { file, options } = await configFile(Buffer.from(text))
    const config = await loadModelConfigFile(file, options)
    expect(config.entries[0]?.modelName).toBe('café 🙂.safetensors')
  })

  it('firstInvalidByte finds overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidByte(Buffer.from('abc€🙂'))).toBe(10)
    expect(firstInvalidByte(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1)
    expect(firstInvalidByte(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0)
    expect(firstInvalidByte(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2)
    expect(firstInvalidByte(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0)
  })
})
