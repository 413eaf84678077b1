// "size only" is never silent (issue 18): a store whose ETag is not an MD5 and that gives no checksum
// (s3rver sends no x-amz-checksum-* headers; the fault proxy gives the object a multipart-style ETag)
// can hand over wrong bytes of the right length. The real CLI must say so on its line, in its JSON, in
// the progress file and in the log; a file checked by its MD5 ETag must say that instead.
import { spawn } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN } from '../support/built'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy'
import { startS3Server, type RandomObject, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

const MiB = 1024 * 1024
const NOT_AN_MD5 = '"9b2cf535f27731c974343645a3985328-2"'

describe('modeldl against a store without checksums: "size only"', () => {
  let s3: TestS3Server
  let proxy: FaultProxy
  let work: string
  let env: NodeJS.ProcessEnv
  const objects: Record<string, RandomObject> = {}
  const modelPath = (name: string) => join(work, 'volume/ComfyUI/models/loras', name)
  const single = (name: string) =>
    JSON.stringify({
      directoryGroup: 'loras',
      modelName: name,
      originalS3Path: `models/loras/${name}`,
      localPath: modelPath(name),
      modelSize: objects[name]!.body.length,
    })
  /** The CLI as a child; never spawnSync: the fault proxy runs in this process and must keep answering. */
  const run = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_BIN, ...args], { env })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.once('error', reject)
      child.once('close', (status) => {
        clearTimeout(timer)
        resolve({ status, stdout, stderr })
      })
    })

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'models' })
    for (const name of ['unchecked.safetensors', 'checked.safetensors'])
      objects[name] = await s3.putRandom(`models/loras/${name}`, 2 * MiB + 3)
    proxy = await startFaultProxy(s3.endpoint)
    // Only the unchecked object: an ETag that is not an MD5, and a flipped byte in its body.
    proxy.setRules([
      { match: { keyIncludes: 'unchecked' }, fault: { kind: 'etag', etag: NOT_AN_MD5 } },
      { match: { keyIncludes: 'unchecked', method: 'GET' }, fault: { kind: 'corrupt', atByte: 1000 } },
    ])
    work = await makeTempDir('modeldl-size-only-')
    await mkdir(join(work, 'volume'))
    env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.envFor(proxy.url),
      NETWORK_VOLUME: join(work, 'volume'),
      AWS_BUCKET_NAME: 'models',
      MODELDL_HOME: join(work, 'home'),
    }
  })
  afterAll(async () => {
    await proxy?.close()
    await s3?.close()
    if (work) await removeTempDir(work)
  })

  it('download --wait says "size only" on the completed line, and what verified a checked file', async () => {
    const r = await run('download', 'single', single('unchecked.safetensors'), '--wait')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /^completed +loras\/unchecked\.safetensors +\(size only: the store gave no checksum and its ETag is not an MD5; add sha256 to its config entry/m,
    )
    // The proxy did act: the bytes on disk are not the object's, though their length is.
    expect(proxy.requests.some((q) => q.faults.includes('corrupt'))).toBe(true)
    const onDisk = await readFile(modelPath('unchecked.safetensors'))
    expect(onDisk.length).toBe(objects['unchecked.safetensors']!.body.length)
    expect(onDisk.equals(objects['unchecked.safetensors']!.body)).toBe(false)

    const checked = await run('download', 'single', single('checked.safetensors'), '--wait')
    expect(checked.status, checked.stderr).toBe(0)
    expect(checked.stderr).toMatch(/^completed +loras\/checked\.safetensors +\(verified: MD5 ETag\)$/m)
  })

  it('get says how it verified: "size only" and what to do, or the check it made', async () => {
    const to = join(work, 'get')
    const text = await run('get', 's3://models/models/loras/unchecked.safetensors', join(to, 'u.bin'))
    expect(text.status, text.stderr).toBe(0)
    expect(text.stderr).toMatch(
      /^done .*u\.bin .*\(size only: the store gave no checksum and its ETag is not an MD5; pass --sha256/m,
    )
    const json = await run('get', 's3://models/models/loras/checked.safetensors', join(to, 'c.bin'), '--json')
    expect(json.status, json.stderr).toBe(0)
    const done = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; verifiedBy?: string[] })
      .find((e) => e.event === 'done')
    expect(done?.verifiedBy).toEqual(['MD5 ETag'])
    const unchecked = await run(
      'get',
      's3://models/models/loras/unchecked.safetensors',
      join(to, 'u2.bin'),
      '--json',
    )
    expect(unchecked.stdout).toContain('"verifiedBy":["size only"]')
  })

  it('the JSON events, `progress` and the progress file carry verifiedBy; the log has the warning', async () => {
    // Fetched again (--force), now with JSON lines on stdout.
    const again = await run(
      'download',
      'single',
      single('unchecked.safetensors'),
      '--wait',
      '--json',
      '--force',
    )
    expect(again.status, again.stderr).toBe(0)
    const events = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; verifiedBy?: string[] })
    expect(events.at(-1)).toMatchObject({ status: 'completed', verifiedBy: ['size only'] })

    const progress = await run('progress')
    expect(progress.status, progress.stderr).toBe(0)
    type Entries = Record<string, Record<string, { status: string; verifiedBy?: string[] }>>
    const shown = JSON.parse(progress.stdout) as Entries
    expect(shown['loras']!['unchecked.safetensors']).toMatchObject({
      status: 'completed',
      verifiedBy: ['size only'],
    })
    expect(shown['loras']!['checked.safetensors']!.verifiedBy).toEqual(['MD5 ETag'])

    // list shows active downloads; --all shows finished ones too, each saying how it was verified.
    const listed = await run('list', '--all', '--format', 'json')
    expect(listed.status, listed.stderr).toBe(0)
    const rows = JSON.parse(listed.stdout) as Array<{ modelName: string; verifiedBy?: string[] }>
    expect(rows.find((r) => r.modelName === 'unchecked.safetensors')?.verifiedBy).toEqual(['size only'])
    expect(rows.find((r) => r.modelName === 'checked.safetensors')?.verifiedBy).toEqual(['MD5 ETag'])
    const tableText = (await run('list', '--all')).stdout
    expect(tableText).toMatch(/unchecked\.safetensors +completed \(size only\) +100\.0%/)
    expect(tableText).toMatch(/ checked\.safetensors +completed +100\.0%/)
    expect((await run('list', '--format', 'json')).stdout.trim()).toBe('[]')

    const file = JSON.parse(await readFile(join(work, 'home/progress.json'), 'utf8')) as Entries
    expect(file['loras']!['unchecked.safetensors']!.verifiedBy).toEqual(['size only'])
    expect(file['loras']!['checked.safetensors']!.verifiedBy).toEqual(['MD5 ETag'])

    const log = await readFile(join(work, 'home/modeldl.log'), 'utf8')
    expect(log).toMatch(/warn.*Completed .*unchecked\.safetensors checked by size only.*add a sha256/i)
    expect(log).not.toMatch(/\/checked\.safetensors checked by size only/)
  })
})
