// The queue's transition table, every state × every event, without I/O.
import { describe, expect, it } from 'vitest'
import type { ModelRecord, ModelStatus } from '../../../src/shared/service-contract'
import {
  next,
  TRANSITIONS,
  type QueueEvent,
  type QueueEventType,
} from '../../../src/core/service/queue-machine'

const STATES: ModelStatus[] = ['queued', 'progress', 'paused', 'completed', 'failed', 'cancelled']

const EVENTS: Record<QueueEventType, QueueEvent> = {
  start: { type: 'start' },
  verified: { type: 'verified', verifiedBy: ['MD5 ETag'], etag: '"e"' },
  failed: { type: 'failed', code: 'network', message: 'reset', retryable: true },
  stopped: { type: 'stopped' },
  cancel: { type: 'cancel' },
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  retry: { type: 'retry' },
  requeue: { type: 'requeue' },
  'link-made': { type: 'link-made', verifiedBy: ['MD5 ETag'] },
  'link-failed': { type: 'link-failed', code: 'link_failed', message: 'EPERM' },
  'file-gone': { type: 'file-gone', reason: 'it is not there' },
}

/** What each state does with each event: the next state, or null when the event is ignored there. */
const EXPECTED: Record<ModelStatus, Partial<Record<QueueEventType, ModelStatus>>> = {
  queued: {
    start: 'progress',
    cancel: 'cancelled',
    pause: 'paused',
    verified: 'completed',
    stopped: 'queued',
    'link-made': 'completed',
    'link-failed': 'failed',
  },
  // `failed` with a retry left goes back to queued (checked below).
  progress: {
    verified: 'completed',
    failed: 'queued',
    stopped: 'queued',
    cancel: 'cancelled',
    pause: 'paused',
    requeue: 'queued',
  },
  paused: { resume: 'queued', cancel: 'cancelled', verified: 'completed', stopped: 'paused' },
  completed: { 'file-gone': 'completed' },
  failed: { retry: 'queued' },
  cancelled: { retry: 'queued' },
}

const ctx = { now: '2026-12-05T12:00:00.000Z', maxAutoRetries: 3, retryDelayMs: 2_000 }

function record(status: ModelStatus, patch: Partial<ModelRecord> = {}): ModelRecord {
  return {
    id: '/m/a',
    group: 'g',
    modelName: 'a',
    s3Uri: 's3://b/a',
    localPath: '/m/a',
    expectedSize: 1000,
    status,
    downloaded: 400,
    totalSize: 1000,
    speedBps: 50,
    etaSeconds: 12,
    attempts: 1,
    autoRetries: 0,
    batchId: 'b',
    createdAt: ctx.now,
    lastUpdated: ctx.now,
    ...patch,
  }
}

describe('queue state machine', () => {
  for (const state of STATES) {
    for (const type of Object.keys(EVENTS) as QueueEventType[]) {
      const expected = EXPECTED[state][type] ?? null
      it(`${state} + ${type} → ${expected ?? 'ignored'}`, () => {
        const t = next(record(state), EVENTS[type], ctx)
        expect(t?.status ?? null).toBe(expected)
        if (t) expect(t.patch.status).toBe(expected)
      })
    }
  }

  it('the table it documents is the table it runs', () => {
    for (const state of STATES)
      for (const type of Object.keys(EVENTS) as QueueEventType[])
        expect(TRANSITIONS[state][type] !== undefined).toBe(EXPECTED[state][type] !== undefined)
  })

  it('a transient failure is retried with a doubling delay until the retries are used up', () => {
    const first = next(record('progress'), EVENTS.failed, ctx)!
    expect(first.status).toBe('queued')
    expect(first.patch).toMatchObject({ autoRetries: 1, errorCode: 'network', speedBps: 0 })
    expect(first.effects).toEqual([{ kind: 'schedule-retry', delayMs: 2_000 }])
    const third = next(record('progress', { autoRetries: 2 }), EVENTS.failed, ctx)!
    expect(third.effects).toEqual([{ kind: 'schedule-retry', delayMs: 8_000 }])
    const last = next(record('progress', { autoRetries: 3 }), EVENTS.failed, ctx)!
    expect(last.status).toBe('failed')
    expect(last.patch).toMatchObject({ finishedAt: ctx.now, errorMessage: 'reset' })
    expect(last.effects).toContainEqual({ kind: 'fail-links', message: 'reset' })
    expect(last.effects).toContainEqual({ kind: 'leave-queue' })
  })

  it('a scheduled retry says when it is due and how many retries the service allows', () => {
    const first = next(record('progress'), EVENTS.failed, ctx)!
    expect(first.patch).toMatchObject({ retryAt: '2026-12-05T12:00:02.000Z', retryLimit: 3 })
    const third = next(record('progress', { autoRetries: 2 }), EVENTS.failed, ctx)!
    expect(third.patch).toMatchObject({ retryAt: '2026-12-05T12:00:08.000Z', retryLimit: 3 })
    // Once the retries are used up nothing is pending any more.
    const last = next(record('progress', { autoRetries: 3 }), EVENTS.failed, ctx)!
    expect(last.patch).toHaveProperty('retryAt', undefined)
    expect(last.patch).toHaveProperty('retryLimit', undefined)
  })

  it('starting, pausing, cancelling or retrying by hand clears the pending retry', () => {
    const waiting = record('queued', {
      autoRetries: 1,
      retryAt: '2026-12-05T12:00:02.000Z',
      retryLimit: 3,
      errorMessage: 'reset',
    })
    for (const type of ['start', 'pause', 'cancel'] as const) {
      const t = next(waiting, EVENTS[type], ctx)!
      expect(t.patch, type).toHaveProperty('retryAt', undefined)
      expect(t.patch, type).toHaveProperty('retryLimit', undefined)
    }
    const retried = next(record('failed', { retryAt: 'x', retryLimit: 3 }), EVENTS.retry, ctx)!
    expect(retried.patch).toHaveProperty('retryAt', undefined)
  })

  it('a permanent failure is not retried', () => {
    const t = next(record('progress'), { ...EVENTS.failed, retryable: false } as QueueEvent, ctx)!
    expect(t.status).toBe('failed')
    expect(t.effects.some((e) => e.kind === 'schedule-retry')).toBe(false)
  })

  it('cancel during verify: the late "verified" does not turn a cancelled record completed', () => {
    const r = record('progress', { phase: 'verifying' })
    const cancelled = next(r, EVENTS.cancel, ctx)!
    Object.assign(r, cancelled.patch)
    expect(r.status).toBe('cancelled')
    expect(next(r, EVENTS.verified, ctx)).toBeNull()
    expect(next(r, EVENTS.failed, ctx)).toBeNull()
    expect(next(r, EVENTS.stopped, ctx)).toBeNull()
  })

  it('cancel racing completion: a completed record cannot be cancelled', () => {
    expect(next(record('completed'), EVENTS.cancel, ctx)).toBeNull()
  })

  it('cancel drops the bytes (the partial file goes) and ends speed and ETA', () => {
    const t = next(record('progress'), EVENTS.cancel, ctx)!
    expect(t.patch).toMatchObject({ downloaded: 0, speedBps: 0, etaSeconds: null, finishedAt: ctx.now })
    expect(t.effects.map((e) => e.kind)).toEqual(['clear-retry', 'discard', 'leave-queue'])
  })

  it('pause while finishing: the file is complete, the record completes', () => {
    expect(next(record('paused'), EVENTS.verified, ctx)!.status).toBe('completed')
  })

  it('resume before the worker confirmed the pause: the late "stopped" keeps it queued', () => {
    const r = record('paused')
    Object.assign(r, next(r, EVENTS.resume, ctx)!.patch)
    expect(next(r, EVENTS.stopped, ctx)!.status).toBe('queued')
  })

  it('a completed record says how it was verified; a retry clears the old error and joins the end', () => {
    expect(next(record('progress'), EVENTS.verified, ctx)!.patch.verifiedBy).toEqual(['MD5 ETag'])
    const retry = next(
      record('failed', { errorCode: 'x', errorMessage: 'y', autoRetries: 3 }),
      EVENTS.retry,
      ctx,
    )!
    expect(retry.patch).toMatchObject({ autoRetries: 0 })
    expect('errorCode' in retry.patch && retry.patch.errorCode === undefined).toBe(true)
    expect(retry.effects).toEqual([{ kind: 'join-queue' }])
  })

  it('a completed file gone from disk is forgotten', () => {
    expect(next(record('completed'), EVENTS['file-gone'], ctx)!.effects).toEqual([{ kind: 'forget' }])
  })

  it('start counts an attempt and keeps the first start time', () => {
    const t = next(
      record('queued', { attempts: 2, startedAt: '2026-01-01T00:00:00.000Z' }),
      EVENTS.start,
      ctx,
    )!
    expect(t.patch).toMatchObject({ attempts: 3, startedAt: '2026-01-01T00:00:00.000Z' })
  })
})
