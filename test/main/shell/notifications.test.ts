import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CompletionNotifier, type DesktopNotification } from '../../../src/main/shell/completion-notifier'
import { OsNotifications } from '../../../src/main/shell/os-notifications'
import type { ModelRecord } from '../../../src/shared/service-contract'
import { fake, FakeNotification, resetFakeElectron } from '../support/fake-electron'
import { modelRecord } from '../support/records'

vi.mock('electron', async () => (await import('../support/fake-electron')).electronModule)

const started = { startedAt: '2026-01-01T00:00:01.000Z' }

function notifier(options: { enabled?: () => boolean; windowMs?: number } = {}) {
  const shown: DesktopNotification[] = []
  const n = new CompletionNotifier({
    show: (x) => shown.push(x),
    enabled: options.enabled ?? (() => true),
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
  })
  return { n, shown }
}

const rec = (name: string, status: ModelRecord['status'], extra: Partial<ModelRecord> = {}) =>
  modelRecord({ id: `/models/loras/${name}`, modelName: name, status, ...extra })

beforeEach(() => {
  vi.useFakeTimers()
  resetFakeElectron()
})
afterEach(() => vi.useRealTimers())

describe('CompletionNotifier', () => {
  it('announces one model that finished downloading while we watched, after the batching window', async () => {
    const { n, shown } = notifier()
    n.observe([rec('a.safetensors', 'queued')])
    n.observe([rec('a.safetensors', 'progress', started)])
    n.observe([rec('a.safetensors', 'completed', started)])
    expect(shown).toEqual([])
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown).toEqual([
      { title: 'Model downloaded', body: 'a.safetensors (loras)', focusId: '/models/loras/a.safetensors' },
    ])
  })

  it('batches models that end close together into one notification, failures into another', async () => {
    const { n, shown } = notifier()
    const names = ['a', 'b', 'c', 'd', 'e'].map((x) => `${x}.safetensors`)
    n.observe(names.map((x) => rec(x, 'progress', started)))
    n.observe([rec('f.safetensors', 'progress', started), rec('g.safetensors', 'queued')])
    for (const [i, x] of names.entries()) {
      n.observe([rec(x, 'completed', started)])
      await vi.advanceTimersByTimeAsync(200 + i) // all within 1.5 s of the first end
    }
    n.observe([rec('f.safetensors', 'failed', { ...started, errorMessage: 'Access denied by the bucket' })])
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown).toEqual([
      {
        title: '5 models downloaded',
        body: 'a.safetensors, b.safetensors, c.safetensors and 2 more',
        focusId: '/models/loras/a.safetensors',
      },
      {
        title: 'Download failed',
        body: 'f.safetensors: Access denied by the bucket',
        focusId: '/models/loras/f.safetensors',
      },
    ])

    // Queued → failed counts as well (failed before its first byte); several failures share one.
    n.observe([rec('g.safetensors', 'failed'), rec('h.safetensors', 'progress', started)])
    n.observe([rec('h.safetensors', 'failed', started)])
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown.at(-1)).toEqual({
      title: '2 downloads failed',
      body: 'g.safetensors, h.safetensors',
      focusId: '/models/loras/g.safetensors',
    })
  })

  it('starts a new batch after the window: two notifications for two ends far apart', async () => {
    const { n, shown } = notifier({ windowMs: 1_000 })
    n.observe([rec('a', 'progress', started), rec('b', 'progress', started)])
    n.observe([rec('a', 'completed', started)])
    await vi.advanceTimersByTimeAsync(1_000)
    n.observe([rec('b', 'completed', started)])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(shown.map((s) => s.title)).toEqual(['Model downloaded', 'Model downloaded'])
  })

  it('is quiet about what it did not see happen: found complete, reloaded finished, cancelled, repeated', async () => {
    const { n, shown } = notifier()
    // Complete at enqueue (the file was already there): never started.
    n.observe([rec('there', 'completed')])
    // Loaded from the state file already ended: first seen as completed, but it was started in a past session...
    n.observe([rec('old', 'completed', started)])
    // ...that one counts (startedAt says it ran): models reloaded while running end in this session.
    n.observe([rec('c', 'progress', started), rec('c2', 'queued')])
    n.observe([rec('c', 'cancelled', started), rec('c2', 'paused')])
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown.map((s) => s.body)).toEqual(['old (loras)'])
    // The same completed record again is no news.
    n.observe([rec('old', 'completed', started)])
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown).toHaveLength(1)
  })

  it('reads the setting when the batch goes out, and dispose drops a pending batch', async () => {
    let on = true
    const { n, shown } = notifier({ enabled: () => on })
    n.observe([rec('a', 'progress', started)])
    n.observe([rec('a', 'completed', started)])
    on = false // turned off during the window
    await vi.advanceTimersByTimeAsync(1_500)
    expect(shown).toEqual([])

    on = true
    n.observe([rec('b', 'progress', started)])
    n.observe([rec('b', 'completed', started)])
    n.dispose()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(shown).toEqual([])
  })
})

describe('OsNotifications', () => {
  it('shows an OS notification with the app icon; a click focuses the model and releases it', () => {
    const onClick = vi.fn()
    const os = new OsNotifications(onClick, '/res/icon.png')
    expect(os.supported).toBe(true)
    os.show({ title: 'Model downloaded', body: 'a (loras)', focusId: '/m/a' })
    const shown = fake.notifications[0]!
    expect(shown.options).toEqual({ title: 'Model downloaded', body: 'a (loras)', icon: '/res/icon.png' })
    expect(shown.shown).toBe(true)
    shown.emit('click', {})
    expect(onClick).toHaveBeenCalledExactlyOnceWith('/m/a')
    // Released after the click: dispose does not close it again.
    os.dispose()
    expect(shown.closed).toBe(false)
  })

  it('closes the notifications still on screen at dispose', () => {
    const os = new OsNotifications(() => {})
    os.show({ title: 'a', body: 'a', focusId: '/a' })
    os.show({ title: 'b', body: 'b', focusId: '/b' })
    fake.notifications[0]!.emit('close', {}) // dismissed by the user: no longer held
    os.dispose()
    expect(fake.notifications.map((n) => n.closed)).toEqual([false, true])
    expect(fake.notifications[0]!.options).not.toHaveProperty('icon')
  })

  it('shows nothing where the OS has no notifications', () => {
    FakeNotification.supported = false
    const os = new OsNotifications(() => {})
    expect(os.supported).toBe(false)
    os.show({ title: 'a', body: 'a', focusId: '/a' })
    expect(fake.notifications).toEqual([])
  })
})
