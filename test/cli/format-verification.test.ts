// How the CLI says a completed file was verified: "size only" is never a plain "completed".
import { describe, expect, it } from 'vitest'
import { listJson, simpleLine, statusLine, table } from '../../src/cli/format'
import { makeRecord } from '../core/service/persist/records'

const sizeOnly = makeRecord({
  group: 'loras',
  modelName: 'a.pt',
  status: 'completed',
  verifiedBy: ['size only'],
  etag: '"0123-2"',
})
const checked = makeRecord({
  group: 'loras',
  modelName: 'b.pt',
  status: 'completed',
  verifiedBy: ['sha256 from config', 'MD5 ETag'],
})
/** Saved before every completed record carried verifiedBy. */
const older = makeRecord({ group: 'loras', modelName: 'c.pt', status: 'completed', verifiedBy: [] })
const running = makeRecord({ group: 'loras', modelName: 'd.pt', status: 'progress', downloaded: 10 })

describe('statusLine (download --wait)', () => {
  it('says size only and what to do, or what verified the file', () => {
    expect(statusLine(sizeOnly)).toMatch(
      /^completed +loras\/a\.pt +\(size only: .*add sha256 to its config entry/,
    )
    expect(statusLine(sizeOnly)).toContain('the store gave no checksum and its ETag is not an MD5')
    // Found complete on disk (no transfer, no ETag): it says so, not that the store gave no checksum.
    expect(statusLine(older)).toContain('(size only: the file was found complete on disk, not downloaded;')
    expect(statusLine(checked)).toMatch(
      /^completed +loras\/b\.pt +\(verified: sha256 from config, MD5 ETag\)$/,
    )
    expect(statusLine(running)).toBe('progress  loras/d.pt')
  })
})

describe('list output', () => {
  it('JSON carries verifiedBy on completed records only, never empty', () => {
    expect(listJson(sizeOnly)['verifiedBy']).toEqual(['size only'])
    expect(listJson(older)['verifiedBy']).toEqual(['size only'])
    expect(listJson(checked)['verifiedBy']).toEqual(['sha256 from config', 'MD5 ETag'])
    expect(listJson(running)).not.toHaveProperty('verifiedBy')
  })

  it('table and simple lines mark size only beside the status', () => {
    const lines = table([sizeOnly, checked]).split('\n')
    expect(lines[1]).toMatch(/a\.pt +completed \(size only\) +100\.0%/)
    expect(lines[2]).toMatch(/b\.pt +completed +100\.0%/)
    expect(simpleLine(sizeOnly)).toContain('completed (size only)  100%')
    expect(simpleLine(checked)).toContain('completed  100%')
  })
})
