import { describe, expect, it } from 'vitest'
import { ResumeSaves } from '../../src/core/transfer/resume-saves'

/** A promise and the functions that settle it, for steps whose timing a test decides. */
function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** Steps that log what happened and wait for the test to let each datasync and write finish. */
function steppedSaves(sidecarExists = false) {
  const log: string[] = []
  const errors: unknown[] = []
  const syncs: ReturnType<typeof deferred>[] = []
  const writes: ReturnType<typeof deferred>[] = []
  let bytes = 0
  const saves = new ResumeSaves<number>(
    {
      record: () => bytes,
      datasync: () => {
        log.push('datasync')
        const d = deferred()
        syncs.push(d)
        return d.promise
      },
      writeSidecar: (recorded) => {
        log.push(`write ${recorded}`)
        const d = deferred()
        writes.push(d)
        return d.promise
      },
    },
    sidecarExists,
    (err) => errors.push(err),
  )
  return { saves, log, errors, syncs, writes, setBytes: (n: number) => (bytes = n) }
}

describe('ResumeSaves', () => {
  it('records what was on disk before the datasync, then writes it; one save after another', async () => {
    const s = steppedSaves()
    s.setBytes(100)
    const first = s.saves.save()
    const second = s.saves.save()
    await tick()
    // Bytes written while the datasync runs are not in this save's record.
    s.setBytes(200)
    s.syncs[0]!.resolve()
    await tick()
    expect(s.log).toEqual(['datasync', 'write 100'])
    s.writes[0]!.resolve()
    await first
    expect(s.saves.sidecarWritten).toBe(true)
    await tick()
    expect(s.log).toEqual(['datasync', 'write 100', 'datasync'])
    s.syncs[1]!.resolve()
    await tick()
    s.writes[1]!.resolve()
    await second
    expect(s.log).toEqual(['datasync', 'write 100', 'datasync', 'write 200'])
  })

  it('on abandon, waits for a sidecar write under way, and writes none after it', async () => {
    const s = steppedSaves()
    void s.saves.save()
    await tick()
    s.syncs[0]!.resolve()
    await tick()
    let abandoned = false
    const abandoning = s.saves.abandon().then(() => (abandoned = true))
    await tick()
    expect(abandoned).toBe(false)
    s.writes[0]!.resolve()
    await abandoning
    // A save asked for afterwards syncs the data (the caller closes the handle after it) but writes nothing.
    const later = s.saves.save()
    await tick()
    s.syncs[1]!.resolve()
    await later
    expect(s.log).toEqual(['datasync', 'write 0', 'datasync'])
  })

  it('on abandon, does not wait for a datasync under way, and its save writes no sidecar', async () => {
    const s = steppedSaves()
    const save = s.saves.save()
    await tick()
    await s.saves.abandon()
    s.syncs[0]!.resolve()
    await save
    expect(s.log).toEqual(['datasync'])
    expect(s.saves.sidecarWritten).toBe(false)
  })

  it('reports a failed save and goes on with the next', async () => {
    const s = steppedSaves(true)
    const failed = s.saves.save()
    await tick()
    s.syncs[0]!.reject(new Error('EIO'))
    await failed
    expect(s.errors.map(String)).toEqual(['Error: EIO'])
    const next = s.saves.save()
    await tick()
    s.syncs[1]!.resolve()
    await tick()
    s.writes[0]!.resolve()
    await next
    expect(s.log).toEqual(['datasync', 'datasync', 'write 0'])
    // A resumed transfer's sidecar was there from the start.
    expect(s.saves.sidecarWritten).toBe(true)
  })
})
