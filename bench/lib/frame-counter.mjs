// Counting a window's WebSocket frames by kind over timed phases of a 50-download run, and the table
// bench/window-messages.mjs prints from them.

/**
 * Counts frames by kind: `event <channel>`, `result <channel>` (the call it answers), `invoke <channel>`.
 * Frames are the wire envelope (src/shared/wire-envelope.ts): `{id, method, params?}` a call,
 * `{id, result?}` / `{id, error}` an answer, `{event, data}` an event.
 */
export class FrameCounter {
  constructor() {
    this.counting = false
    this.channelOf = new Map()
    this.reset()
  }
  reset() {
    this.received = { frames: 0, bytes: 0, byKind: {} }
    this.sent = { frames: 0, bytes: 0, byKind: {} }
  }
  sentFrame(text) {
    const f = parse(text)
    if (f?.method) this.channelOf.set(f.id, f.method)
    if (this.counting) add(this.sent, f?.method ? `invoke ${f.method}` : '?', text)
  }
  receivedFrame(text) {
    if (!this.counting) return
    const f = parse(text)
    const kind = f?.event
      ? `event ${f.event}`
      : f && 'id' in f
        ? `result ${this.channelOf.get(f.id) ?? ''}`
        : '?'
    add(this.received, kind.trim(), text)
  }
}
export function parse(text) {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
function add(side, kind, text) {
  side.frames++
  side.bytes += Buffer.byteLength(text)
  side.byKind[kind] = (side.byKind[kind] ?? 0) + 1
}

/**
 * Counts three windows: `start` (the 10 s from the click or enqueue: 50 queued, then running), `steady`
 * (10 s while all 50 run) and `finish` (from a few seconds before the first completes until all have).
 */
export async function countPhases(counter, probe, begin, setup) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const t0 = performance.now()
  const phases = {}
  const phase = async (name, until) => {
    counter.reset()
    counter.counting = true
    const start = performance.now()
    const runningAtStart = await probe.running()
    await until()
    counter.counting = false
    phases[name] = summary(counter, (performance.now() - start) / 1000, runningAtStart, await probe.running())
  }
  await phase('start', async () => {
    await begin()
    await sleep(setup.windowMs - (performance.now() - t0))
  })
  await sleep(1_000)
  await phase('steady', () => sleep(setup.windowMs))
  const downloadMs = (setup.objectBytes / setup.capBytesPerSecond) * 1000
  await sleep(Math.max(0, downloadMs - 6_000 - (performance.now() - t0)))
  await phase('finish', async () => {
    const deadline = performance.now() + 30_000
    while ((await probe.completed()) < setup.models && performance.now() < deadline) await sleep(500)
    await sleep(1_000)
  })
  return phases
}

function summary(counter, seconds, runningAtStart, runningAtEnd) {
  const rate = (n) => Math.round((n / seconds) * 10) / 10
  const perSecond = (byKind) =>
    Object.fromEntries(
      Object.entries(byKind)
        .sort(([, a], [, b]) => b - a)
        .map(([k, n]) => [k, rate(n)]),
    )
  return {
    seconds: Math.round(seconds * 100) / 100,
    runningAtStart,
    runningAtEnd,
    receivedFrames: counter.received.frames,
    receivedFramesPerSecond: rate(counter.received.frames),
    receivedBytesPerSecond: Math.round(counter.received.bytes / seconds),
    sentFrames: counter.sent.frames,
    sentFramesPerSecond: rate(counter.sent.frames),
    receivedByKind: perSecond(counter.received.byKind),
    sentByKind: perSecond(counter.sent.byKind),
  }
}

export function printTable(results) {
  const rows = [['client', 'phase', 'seconds', 'running', 'recv frames/s', 'recv KiB/s', 'sent frames/s']]
  for (const [client, phases] of Object.entries(results))
    for (const [name, r] of Object.entries(phases))
      rows.push([
        client,
        name,
        r.seconds.toFixed(1),
        `${r.runningAtStart}→${r.runningAtEnd}`,
        String(r.receivedFramesPerSecond),
        (r.receivedBytesPerSecond / 1024).toFixed(1),
        String(r.sentFramesPerSecond),
      ])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  for (const row of rows)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
  for (const [client, phases] of Object.entries(results))
    for (const [name, r] of Object.entries(phases)) {
      console.log(`\n${client} ${name}: frames per second by kind`)
      for (const [k, n] of Object.entries(r.receivedByKind)) console.log(`  received ${k.padEnd(28)} ${n}`)
      for (const [k, n] of Object.entries(r.sentByKind)) console.log(`  sent     ${k.padEnd(28)} ${n}`)
    }
}
