// `modeldl scan` against a bucket an attacker named: folder names that are also names of Object.prototype's
// members, and keys that carry terminal control sequences. The real built CLI against s3rver.
import { spawnSync } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadModelConfigFile, parseModelConfig } from '../../src/core/config'
import { CLI_BIN } from '../support/built'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

/** Group folders named like Object.prototype's members, each with a model named the same way. */
const PROTO_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString']
const PROTO_KEYS = PROTO_NAMES.flatMap((name) => [
  `${name}/${name}.safetensors`,
  `${name}/plain.safetensors`,
  `loras/${name}.safetensors`,
])

const ESC = '\x1b'
const BEL = '\x07'
/** Clears the screen, retitles the window, reverses the rest of the line, and a C1 CSI (U+009B). */
const HOSTILE_NAME = `a${ESC}[2Jb${ESC}]0;pwned${BEL}c\u202Ed\u0085e\u009B31mf\u2066g\x7fh.safetensors`

/** Bytes a terminal acts on: C0 but newline, DEL, C1 (UTF-8 C2 80–9F), bidi overrides and isolates. */
function controlBytes(out: Buffer): string[] {
  const found: string[] = []
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) found.push(`0x${b.toString(16)} at ${i}`)
    if (b === 0xc2 && out[i + 1]! >= 0x80 && out[i + 1]! <= 0x9f) found.push(`C1 at ${i}`)
    if (b === 0xe2 && out[i + 1] === 0x80 && out[i + 2]! >= 0xaa && out[i + 2]! <= 0xae)
      found.push(`bidi at ${i}`)
    if (b === 0xe2 && out[i + 1] === 0x81 && out[i + 2]! >= 0xa6 && out[i + 2]! <= 0xa9)
      found.push(`bidi isolate at ${i}`)
  }
  return found
}

describe('modeldl scan with hostile names (the real CLI, s3rver)', () => {
  let s3: TestS3Server
  let work: string
  let nv: string
  let root: string
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    for (const key of PROTO_KEYS) await s3.put(`proto/${key}`, Buffer.from(key))
    await s3.put(`ctl/loras/${HOSTILE_NAME}`, Buffer.from('x'))
    await s3.put(`ctl/${HOSTILE_NAME.replace('.safetensors', '')}/inner.safetensors`, Buffer.from('yy'))
  })
  afterAll(async () => s3?.close())
  beforeEach(async () => {
    work = await makeTempDir('modeldl-cli-hostile-')
    nv = join(work, 'volume')
    root = join(nv, 'ComfyUI', 'models')
    await mkdir(root, { recursive: true })
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.env,
      NETWORK_VOLUME: nv,
      MODELDL_HOME: join(work, 'home'),
    }
  })
  afterEach(async () => removeTempDir(work))

  const run = (...args: string[]) => spawnSync(process.execPath, [CLI_BIN, ...args], { env, timeout: 60_000 })

  it('scan --out writes groups and models named __proto__, constructor, hasOwnProperty, toString; the config loads back whole', async () => {
    const out = join(work, 'proto.json')
    const saved = run('scan', 's3://models/proto/', '--out', out)
    expect(saved.status, saved.stderr.toString()).toBe(0)
    expect(saved.stderr.toString()).toContain(`Wrote ${PROTO_KEYS.length} models to ${out}`)

    const text = await readFile(out, 'utf8')
    const json = JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>>
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype)
    for (const name of PROTO_NAMES) {
      expect(Object.hasOwn(json, name), name).toBe(true)
      const group = json[name]!
      expect(Object.keys(group).sort(), name).toEqual([name, 'plain'].sort())
      expect(group[name]).toMatchObject({ modelName: `${name}.safetensors`, directoryGroup: name })
      expect(Object.hasOwn(json['loras']!, name), `loras/${name}`).toBe(true)
    }

    const options = { networkVolume: nv, modelsRoots: [root] }
    const parsed = await parseModelConfig(json, options)
    expect(parsed.entries.map((e) => e.s3Uri).sort()).toEqual(
      PROTO_KEYS.map((key) => `s3://models/proto/${key}`).sort(),
    )
    expect((await loadModelConfigFile(out, options)).entries).toHaveLength(PROTO_KEYS.length)

    // Merging the same listing into it changes nothing and keeps every entry.
    const merged = run('scan', 's3://models/proto/', '--out', out, '--merge')
    expect(merged.status, merged.stderr.toString()).toBe(0)
    expect(merged.stderr.toString()).toContain(
      `Wrote ${PROTO_KEYS.length} models to ${out} (0 other entries kept)`,
    )
    expect(await readFile(out, 'utf8')).toBe(text)

    // The nested format on stdout is the same config.
    const printed = run('scan', 's3://models/proto/', '--format', 'nested')
    expect(printed.status, printed.stderr.toString()).toBe(0)
    expect(JSON.parse(printed.stdout.toString())).toEqual(json)
  })

  it('the scan table shows the prototype names as rows', () => {
    const r = run('scan', 's3://models/proto/')
    expect(r.status, r.stderr.toString()).toBe(0)
    const rows = r.stdout
      .toString()
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) =>
        line
          .split(/\s{2,}/)
          .slice(0, 2)
          .join('/'),
      )
    expect(rows.sort()).toEqual([...PROTO_KEYS].sort())
  })

  it('the scan table prints no control bytes, only their escapes', () => {
    const r = run('scan', 's3://models/ctl/')
    expect(r.status, r.stderr.toString()).toBe(0)
    expect(controlBytes(r.stdout)).toEqual([])
    const text = r.stdout.toString()
    expect(text).toContain(
      'a\\u001b[2Jb\\u001b]0;pwned\\u0007c\\u202ed\\u0085e\\u009b31mf\\u2066g\\u007fh.safetensors',
    )
    // The group column, from a folder so named, is escaped too.
    expect(text).toMatch(
      /^a\\u001b\[2Jb\\u001b\]0;pwned\\u0007c\\u202ed\\u0085e\\u009b31mf\\u2066g\\u007fh\s+inner\.safetensors/m,
    )
    // The summary on stderr says nothing raw either (it holds no names today; keep it so).
    expect(controlBytes(r.stderr)).toEqual([])
  })

  it('nested and flat JSON on stdout carry no control bytes and parse back to the exact names', () => {
    for (const format of ['nested', 'flat']) {
      const r = run('scan', 's3://models/ctl/', '--format', format)
      expect(r.status, r.stderr.toString()).toBe(0)
      expect(controlBytes(r.stdout), format).toEqual([])
      const names = JSON.stringify(JSON.parse(r.stdout.toString()))
      expect(names, format).toContain(JSON.stringify(HOSTILE_NAME).slice(1, -1))
    }
  })
})
