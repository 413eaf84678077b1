// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import type { LocalInfo } from '../../../src/shared/api-contract'
import type { ModelStatus } from '../../../src/shared/service-contract'
import {
  deriveStatus,
  DISPLAY_STATUSES,
  isActive,
  isMissing,
  isOnDisk,
  STATUS_RANK,
  statusFromLocal,
} from '../../../src/renderer/src/store/status'
import { localState } from '../support/fixtures'

const record = (status: ModelStatus) => ({ status })

describe('deriveStatus: the one word a row shows', () => {
  it('shows exactly the eight words the issue names', () => {
    expect([...DISPLAY_STATUSES].sort()).toEqual(
      ['cancelled', 'completed', 'downloading', 'failed', 'installed', 'missing', 'paused', 'queued'].sort(),
    )
  })

  it.each([
    ['queued', 'queued'],
    ['progress', 'downloading'],
    ['paused', 'paused'],
    ['failed', 'failed'],
    ['completed', 'completed'],
    ['cancelled', 'cancelled'],
  ] as const)('a %s record with nothing known on disk shows %s', (status, shown) => {
    expect(deriveStatus(record(status), undefined)).toEqual({ status: shown })
  })

  it('lets the queue speak over the disk while a model is queued, running, paused or failed', () => {
    for (const status of ['queued', 'progress', 'paused', 'failed'] as const) {
      expect(deriveStatus(record(status), localState('installed')).status).not.toBe('installed')
      expect(deriveStatus(record(status), localState('missing')).status).not.toBe('missing')
    }
  })

  it('shows completed while the disk agrees', () => {
    expect(deriveStatus(record('completed'), localState('installed'))).toEqual({ status: 'completed' })
  })

  it('shows missing for a completed model whose file was deleted since', () => {
    expect(deriveStatus(record('completed'), localState('missing'))).toEqual({ status: 'missing' })
  })

  it('shows the disk hint for a completed model whose file changed size since', () => {
    expect(deriveStatus(record('completed'), localState('wrong_size', 3))).toEqual({
      status: 'missing',
      hint: 'different size',
    })
  })

  it('shows installed for a cancelled record whose file is complete on disk', () => {
    expect(deriveStatus(record('cancelled'), localState('installed'))).toEqual({ status: 'installed' })
    expect(deriveStatus(record('cancelled'), localState('partial'))).toEqual({ status: 'cancelled' })
  })

  it.each([
    [undefined, { status: 'missing' }],
    [localState('missing'), { status: 'missing' }],
    [localState('installed'), { status: 'installed' }],
    [localState('partial', 10), { status: 'missing', hint: 'resumable' }],
    [localState('wrong_size', 10), { status: 'missing', hint: 'different size' }],
    [localState('not_a_file'), { status: 'missing', hint: 'not a file' }],
    [localState('broken_link'), { status: 'missing', hint: 'broken link' }],
  ] as Array<[LocalInfo | undefined, object]>)('with no record, the disk decides: %o', (local, expected) => {
    expect(deriveStatus(undefined, local)).toEqual(expected)
    expect(statusFromLocal(local)).toEqual(expected)
  })
})

describe('status groups', () => {
  it('counts queued, downloading and paused as in the queue', () => {
    expect(DISPLAY_STATUSES.filter(isActive).sort()).toEqual(['downloading', 'paused', 'queued'])
  })

  it('counts installed and completed as on disk', () => {
    expect(DISPLAY_STATUSES.filter(isOnDisk).sort()).toEqual(['completed', 'installed'])
  })

  it('counts missing, failed and cancelled as missing (what Download fetches)', () => {
    expect(DISPLAY_STATUSES.filter(isMissing).sort()).toEqual(['cancelled', 'failed', 'missing'])
  })

  it('ranks what needs attention first when sorting by status', () => {
    const ranked = [...DISPLAY_STATUSES].sort((a, b) => STATUS_RANK[a] - STATUS_RANK[b])
    expect(ranked[0]).toBe('downloading')
    expect(STATUS_RANK.failed).toBeLessThan(STATUS_RANK.missing)
    expect(STATUS_RANK.missing).toBeLessThan(STATUS_RANK.installed)
  })
})
