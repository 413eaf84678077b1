// `modeldl serve` reaches the queue through the one ServiceLink: a second serve on the same state folder
// is a client of the first over the local socket, and takes the folder over when the first goes, so
// its browser window keeps working without a restart.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceStatus } from '../../src/shared/service-contract'
import { invokeOver, startServe, type ServeProcess } from '../support/serve-process'
import { startS3Server, type TestS3Server } from '../support/s3-server'
import { makeTempDir, removeTempDir } from '../support/temp'

let s3: TestS3Server
let work: string
const started: ServeProcess[] = []

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'models' })
  work = await makeTempDir('modeldl-serve-link-')
}, 60_000)

afterAll(async () => {
  for (const serve of started) await serve.stop()
  await s3?.close()
  await removeTempDir(work)
})

async function status(serve: ServeProcess, id: number): Promise<ServiceStatus> {
  const ws = await serve.socket()
  try {
    const answer = await invokeOver(ws, id, 'downloads:status')
    if (answer.error) throw new Error(`${answer.error.code}: ${answer.error.message}`)
    return answer.result as ServiceStatus
  } finally {
    ws.close()
  }
}

describe('modeldl serve: one link to the queue', () => {
  it('a second serve is a client of the first, and owns the queue once the first has gone', async () => {
    const env = {
      PATH: process.env['PATH'],
      HOME: work,
      ...s3.env,
      MODELDL_HOME: join(work, 'home'),
      MODELDL_MODELS_ROOT: join(work, 'models'),
    }
    const first = await startServe(env)
    started.push(first)
    const second = await startServe(env)
    started.push(second)
    expect(first.stderr()).toContain('owns the queue')
    expect(second.stderr()).toMatch(/Attached to the owner of .* \(serve, pid \d+\)/)
    expect((await status(second, 1)).owner).toMatchObject({ kind: 'serve', pid: first.child.pid })

    const stoppedAt = Date.now()
    await first.stop() // a clean exit releases the lock: the taker-over need not wait for it to go stale
    let owner: ServiceStatus['owner'] = null
    for (let id = 2; Date.now() - stoppedAt < 10_000; id++) {
      owner = await status(second, id).then(
        (s) => s.owner,
        () => null,
      )
      if (owner?.pid === second.child.pid) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(owner).toMatchObject({ kind: 'serve', pid: second.child.pid })
    expect(Date.now() - stoppedAt).toBeLessThan(5_000)
    expect(second.stderr()).toContain('The owner of the queue went away')
    expect(second.stderr()).toMatch(/This process \(serve, pid \d+\) owns the queue/)
  })
})
