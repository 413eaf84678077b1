// The claim protocol on a real folder: one creator, one taker-over, a holder that learns it lost its
// claim, staleness judged by the follower's clock, a release that waits for followers, and a cancel
// that keeps a `.part` it must not remove.
import { spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { addFollower, readClaim, removeFollower, type ClaimOwner } from '../../../src/core/claims/claim-file'
import type { ClaimTiming } from '../../../src/core/claims/claim-timing'
import { claimTimingFromEnv, DEFAULT_CLAIM_TIMING } from '../../../src/core/claims/claim-timing'
import { HeldClaim } from '../../../src/core/claims/held-claim'
import { StaleWatch } from '../../../src/core/claims/stale-watch'
import { PathGate } from '../../../src/core/gate/path-gate'
import { discardPart } from '../../../src/core/service/discard-part'
import { createLogger } from '../../../src/core/service/persist/log'
import { makeTempDir, removeTempDir } from '../../support/temp'

const FAST: ClaimTiming = { heartbeatMs: 30, staleMs: 200, followPollMs: 30, lingerMs: 500 }
const who = (host: string, pid = process.pid) => ({ host, pid, stateFolder: `/state/${host}` })

let dir: string
let file: string
beforeEach(async () => {
  dir = await makeTempDir('modeldl-claims-')
  file = join(dir, 'model.safetensors')
})
afterEach(async () => removeTempDir(dir))

describe('claims', () => {
  it('of ten machines claiming one file at once, exactly one gets it; its owner file says who', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => HeldClaim.create(file, who(`pod-${i}`), FAST)),
    )
    const held = claims.filter((c) => c !== null)
    expect(held).toHaveLength(1)
    const { owner } = await readClaim(file)
    expect(owner).toMatchObject({ host: held[0]!.host, pid: process.pid, generation: 0 })
    await held[0]!.release()
    expect((await readClaim(file)).exists).toBe(false)
  })

  it('the heartbeat moves and carries progress', async () => {
    const held = (await HeldClaim.create(file, who('pod-1'), FAST))!
    held.progress(100, 1000, 50)
    const first = (await readClaim(file)).owner!.beat
    await new Promise((r) => setTimeout(r, 100))
    const { owner } = await readClaim(file)
    expect(owner!.beat).toBeGreaterThan(first)
    expect(owner).toMatchObject({ bytesDone: 100, totalBytes: 1000, speedBps: 50 })
    await held.release()
  })

  it('of five machines taking over a stale claim, one wins, and the old holder learns it lost', async () => {
    const old = (await HeldClaim.create(file, who('pod-0'), FAST))!
    const lost = vi.fn()
    old.onLost(lost)
    const takers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => HeldClaim.takeOver(file, 0, who(`pod-${i + 1}`), FAST)),
    )
    const won = takers.filter((t) => t !== null)
    expect(won).toHaveLength(1)
    await vi.waitFor(() => expect(lost).toHaveBeenCalledOnce(), { timeout: 1000 })
    // The old holder's release does not remove the new holder's claim.
    await old.release()
    expect((await readClaim(file)).owner).toMatchObject({ host: won[0]!.host, generation: 1 })
    // A late takeover of generation 0 fails: the claim changed hands already.
    expect(await HeldClaim.takeOver(file, 0, who('pod-9'), FAST)).toBeNull()
    await won[0]!.release()
  })

  it('finish waits for followers to read how the file was verified, then removes the claim', async () => {
    const held = (await HeldClaim.create(file, who('pod-1'), FAST))!
    await addFollower(file, 'pod-2')
    const finishing = held.finish({ verifiedBy: ['MD5 ETag'], etag: '"x"', size: 3 })
    await vi.waitFor(async () =>
      expect((await readClaim(file)).owner?.done?.verifiedBy).toEqual(['MD5 ETag']),
    )
    expect((await readClaim(file)).exists).toBe(true)
    await removeFollower(file, 'pod-2')
    await finishing
    expect((await readClaim(file)).exists).toBe(false)
    expect(await readdir(dir)).toEqual([])
  })

  it('a lone holder releases at once when it finishes', async () => {
    const held = (await HeldClaim.create(file, who('pod-1'), { ...FAST, lingerMs: 10_000 }))!
    const t = performance.now()
    await held.finish({ verifiedBy: [], etag: '', size: 0 })
    expect(performance.now() - t).toBeLessThan(1_000)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('StaleWatch', () => {
  const owner = (over: Partial<ClaimOwner>): ClaimOwner => ({
    version: 1,
    token: 't',
    generation: 0,
    host: 'pod-1',
    pid: 1,
    stateFolder: '/s',
    startedAt: '',
    beat: 0,
    bytesDone: 0,
    totalBytes: 0,
    speedBps: 0,
    ...over,
  })

  it('is stale once the heartbeat has not moved for the limit, by its own clock', () => {
    let now = 1_000
    const watch = new StaleWatch(who('pod-2'), 15_000, () => now)
    expect(watch.isStale(owner({ beat: 1 }))).toBe(false)
    now += 14_000
    expect(watch.isStale(owner({ beat: 1 }))).toBe(false)
    now += 1_000
    expect(watch.isStale(owner({ beat: 1 }))).toBe(true)
    // A beat resets it.
    expect(watch.isStale(owner({ beat: 2 }))).toBe(false)
    now += 14_999
    expect(watch.isStale(owner({ beat: 2 }))).toBe(false)
    // A claim whose owner file never appears goes stale too.
    const empty = new StaleWatch(who('pod-2'), 100, () => now)
    expect(empty.isStale(null)).toBe(false)
    now += 100
    expect(empty.isStale(null)).toBe(true)
  })

  it('on the same host, a holder whose process is gone is stale at once; on another host it is not', () => {
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString()
    const pid = Number(dead)
    expect(pid).toBeGreaterThan(0)
    expect(new StaleWatch(who('pod-2'), 15_000).isStale(owner({ host: 'pod-2', pid }))).toBe(true)
    expect(new StaleWatch(who('pod-2'), 15_000).isStale(owner({ host: 'pod-3', pid }))).toBe(false)
    expect(new StaleWatch(who('pod-2'), 15_000).isStale(owner({ host: 'pod-2', pid: process.ppid }))).toBe(
      false,
    )
  })

  it('MODELDL_CLAIM_STALE_SECONDS shortens the limit and the heartbeat with it', () => {
    expect(claimTimingFromEnv({})).toEqual(DEFAULT_CLAIM_TIMING)
    expect(claimTimingFromEnv({ MODELDL_CLAIM_STALE_SECONDS: 'soon' })).toEqual(DEFAULT_CLAIM_TIMING)
    const t = claimTimingFromEnv({ MODELDL_CLAIM_STALE_SECONDS: '3' })
    expect(t.staleMs).toBe(3_000)
    expect(t.heartbeatMs).toBeLessThanOrEqual(300)
  })
})

describe('discardPart', () => {
  it("keeps a .part under another machine's claim and one outside the roots; removes an unclaimed one", async () => {
    const root = join(dir, 'models')
    const outside = join(dir, 'elsewhere')
    await mkdir(join(root, 'loras'), { recursive: true })
    await mkdir(outside)
    const log = createLogger(join(dir, 'test.log'))
    const gate = new PathGate([root])
    const inRoot = join(root, 'loras', 'a.safetensors')
    const escaped = join(outside, 'victim.bin')
    for (const p of [inRoot, escaped]) await writeFile(`${p}.part`, 'bytes')

    await discardPart(escaped, gate, log)
    expect((await stat(`${escaped}.part`)).size).toBe(5)

    const held = (await HeldClaim.create(inRoot, who('pod-9'), FAST))!
    await discardPart(inRoot, gate, log)
    expect((await stat(`${inRoot}.part`)).size).toBe(5)
    await held.release()

    await discardPart(inRoot, gate, log)
    await expect(stat(`${inRoot}.part`)).rejects.toThrow(/ENOENT/)
    expect(await readFile(join(dir, 'test.log'), 'utf8')).toMatch(/Kept .*victim\.bin\.part: .*outside/i)
  })
})
