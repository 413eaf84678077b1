// The lines `download --wait` draws on a terminal, for any width: pure functions, checked directly.
import { describe, expect, it } from 'vitest'
import type { ModelRecord } from '../../src/shared/service-contract'
import { closingSummary, fitMiddle, frameLines, modelLine } from '../../src/cli/wait/progress-lines'

function record(over: Partial<ModelRecord> & { modelName: string }): ModelRecord {
  const localPath = `/models/${over.group ?? 'loras'}/${over.modelName}`
  return {
    id: localPath,
    group: 'loras',
    s3Uri: `s3://b/${over.modelName}`,
    localPath,
    expectedSize: 1_000_000,
    status: 'progress',
    downloaded: 250_000,
    totalSize: 1_000_000,
    speedBps: 2_500_000,
    etaSeconds: 3,
    attempts: 1,
    autoRetries: 0,
    batchId: 'b',
    createdAt: '2026-12-06T00:00:00.000Z',
    lastUpdated: '2026-12-06T00:00:00.000Z',
    ...over,
  }
}

const LONG = 'a_checkpoint_with_a_name_far_longer_than_any_terminal_would_like_v2_final.safetensors'

describe('modelLine', () => {
  it('fits every width from 20 to 200 columns', () => {
    for (let width = 20; width <= 200; width++) {
      const line = modelLine(record({ modelName: LONG, group: 'checkpoints' }), width)
      expect([...line].length, `width ${width}: ${line}`).toBeLessThanOrEqual(width)
    }
  })

  it('keeps the group and the end of the name when it must cut', () => {
    const line = modelLine(record({ modelName: LONG, group: 'checkpoints' }), 79)
    expect(line).toMatch(/ {2}checkpoint.*….*_v2_final\.safetensors$/)
    expect(line).toMatch(/^ 25\.0% [█░]+ +2\.5 MB\/s ETA 3s {2}/)
  })

  it('shows a link with its group, and what it waits for', () => {
    const link = record({
      group: 'text_encoders',
      modelName: 'clip_l.safetensors',
      status: 'queued',
      downloaded: 0,
      linkTo: '/models/clip/clip_l.safetensors',
    })
    expect(modelLine(link, 100)).toMatch(/link \(after target\) +text_encoders\/clip_l\.safetensors$/)
  })

  it('says when a model is waiting to retry, and why', () => {
    const retry = record({
      modelName: 'x.safetensors',
      status: 'queued',
      autoRetries: 1,
      retryLimit: 3,
      retryAt: new Date(Date.now() + 4_500).toISOString(),
      errorMessage: 'connect ECONNREFUSED 127.0.0.1:9',
    })
    expect(modelLine(retry, 80)).toMatch(/retrying in [45] s \(attempt 2 of 4\): connect ECONNREFUSED/)
  })

  it('cuts in the middle', () => {
    expect(fitMiddle('abcdefghij', 7)).toBe('ab…ghij')
    expect(fitMiddle('abc', 7)).toBe('abc')
  })
})

describe('frameLines', () => {
  const many = Array.from({ length: 30 }, (_, i) => record({ modelName: `m${i}.safetensors` }))

  it('never exceeds the height, and counts what it left out', () => {
    for (const height of [3, 5, 10, 23, 49]) {
      const lines = frameLines(many, 79, height)
      expect(lines.length).toBeLessThanOrEqual(height)
      if (height < 32) expect(lines.some((l) => /… and \d+ more \(/.test(l))).toBe(true)
    }
    expect(frameLines(many, 79, 10).at(-1)).toBe('  … and 23 more (23 running)')
    const all = frameLines(many, 79, 49)
    expect(all).toHaveLength(31)
    expect(all[0]).toBe('0/30 models · 30 running · 0 waiting · 7.5 MB of 30.0 MB · 75.0 MB/s')
  })

  it('collapses finished models into one line', () => {
    const done = many.map((r, i) =>
      i < 10 ? { ...r, status: 'completed' as const, downloaded: r.totalSize, verifiedBy: ['MD5 ETag'] } : r,
    )
    const lines = frameLines(done, 79, 49)
    expect(lines).toHaveLength(1 + 20 + 1)
    expect(lines.at(-1)).toBe('✓ 10 completed')
  })
})

describe('closingSummary', () => {
  it('gives models, outcome, bytes, time and speed, then how files were verified', () => {
    const records = [
      record({ modelName: 'a', status: 'completed', verifiedBy: ['MD5 ETag'] }),
      record({ modelName: 'b', status: 'completed', verifiedBy: ['size only'] }),
      record({ modelName: 'c', status: 'failed', errorMessage: 'access denied' }),
    ]
    expect(closingSummary(records, 2_000_000, 4)).toEqual([
      '3 models: 2 completed, 1 failed; 2.0 MB downloaded in 4.0 s (0.5 MB/s)',
      'Verified by MD5 ETag: 1, size only: 1',
    ])
  })
})
