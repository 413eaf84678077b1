// The README's "First run with your own bucket", as a newcomer types it: in a fresh clone of this
// repository (its node_modules a link to ours: CI does the install), against s3rver holding a bucket
// laid out as the README says, with a HOME of its own so that `~` is a temp folder.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, realpathSync, symlinkSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../support/built'
import { startS3Server, type RandomObject, type TestS3Server } from '../support/s3-server'
import { fileExists, sha256File, tempDirs } from '../support/temp'

const temp = tempDirs()
let s3: TestS3Server
let home: string
let clone: string
const objects: Record<string, RandomObject> = {}

/** The shell lines of the README section's first `sh` block, comments and blank lines dropped. */
function firstRunLines(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('First run'))
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)
  if (!block) throw new Error('README has no "First run" section with a sh block')
  return block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '')
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
  return r.stdout + r.stderr
}

/** `modeldl serve --ui` until it prints its address; what it said on stderr by then. */
async function serveOnce(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; stderr: string }> {
  const child = spawn(process.execPath, [join(clone, 'bin', 'modeldl.js'), ...args], { cwd: clone, env })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${stderr}`)))
      createInterface({ input: child.stdout }).once('line', resolve)
    })
    return { url, stderr }
  } finally {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'my-models' })
  objects['loras/detail_lora.safetensors'] = await s3.putRandom(
    'models/loras/detail_lora.safetensors',
    300_000,
  )
  objects['vae/ae.safetensors'] = await s3.putRandom('models/vae/ae.safetensors', 700_000)
  const dir = await temp.make('modeldl-first-run-')
  home = join(dir, 'home')
  clone = join(dir, 'clone')
  await mkdir(home)
  run('git', ['clone', '--quiet', ROOT, clone], dir, process.env)
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'))
  // What `npm install` does last (the prepare script).
  run(
    process.execPath,
    [join(clone, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    clone,
    {
      ...process.env,
    },
  )
}, 240_000)

afterAll(async () => {
  await s3?.close()
  await temp.cleanup()
})

describe("the README's first run, in a fresh clone", () => {
  it('lists the bucket, saves a config, downloads what is missing, reports, and serves that config', async () => {
    const lines = firstRunLines(readFileSync(join(clone, 'README.md'), 'utf8'))
    expect(lines.some((l) => l.includes('download missing --wait'))).toBe(true)
    // Only what a newcomer would have set: a HOME, a PATH, and credentials for the store.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: home,
      TMPDIR: process.env['TMPDIR'],
      ...s3.env,
    }
    const tilde = (word: string): string => word.replace(/^~(?=\/|$)/, home)
    const said: string[] = []
    for (const line of lines) {
      const words = line.split(/\s+/).map(tilde)
      if (words[0] === 'export') {
        for (const assignment of words.slice(1)) {
          const [name, value] = assignment.split('=') as [string, string]
          env[name] = tilde(value)
        }
        continue
      }
      // `npx modeldl` runs this checkout's bin/modeldl.js; node straight away skips npx's lookup.
      expect(words.slice(0, 2), line).toEqual(['npx', 'modeldl'])
      const args = words.slice(2)
      if (args[0] === 'serve') {
        // Any free port: 8765 may be taken on a shared machine.
        const served = await serveOnce([...args, '--port', '0'], env)
        expect(served.url).toMatch(/^UI: http:\/\/127\.0\.0\.1:\d+\/\?token=/)
        said.push(served.stderr)
        continue
      }
      said.push(run(process.execPath, [join(clone, 'bin', 'modeldl.js'), ...args], clone, env))
    }
    const all = said.join('\n')
    expect(all).toContain('detail_lora.safetensors')
    for (const [path, object] of Object.entries(objects)) {
      const file = join(home, 'models', path)
      expect(await fileExists(file), file).toBe(true)
      expect(await sha256File(file)).toBe(object.sha256)
    }
    // serve loaded the config named by MODEL_CONFIG_FILE, as download did.
    expect(all).toContain(`Loaded 2 models from ${join(home, 'model-config.json')}`)
  }, 240_000)
})
