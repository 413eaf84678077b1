// What `download --wait` shows on a terminal, as plain lines that each fit the width: a header that
// sums the batch up, one line per running model, and one line for everything finished. Pure: the
// frame (terminal-frame.ts) decides where they go.
import { describeRetry, retryNotice } from '../../shared/retry-notice'
import { formatBytes } from '../../core/transfer/preflight'
import { TERMINAL_STATUSES, type ModelRecord } from '../../shared/service-contract'
import { isSizeOnly, verifiedByOf } from '../../shared/verification'
import { formatEta, percent, terminalSafe } from '../format'

/** A bar never narrower than this, nor wider. */
const BAR_MIN = 8
const BAR_MAX = 24

/**
 * Cuts `text` to `width` characters with "…" in the middle: the start of `group/model` says the group,
 * the end tells files of one family apart (`…_lora_03.safetensors`).
 */
export function fitMiddle(text: string, width: number): string {
  const chars = [...text]
  if (chars.length <= width) return text
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('')
  const head = Math.floor((width - 1) / 3)
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (width - 1 - head)).join('')}`
}

/** Cuts `text` to `width` characters, keeping its start. */
export function fitEnd(text: string, width: number): string {
  const chars = [...text]
  if (chars.length <= width) return text
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('')
  return `${chars.slice(0, width - 1).join('')}…`
}

/** `group/model`: a link and its target share a model name, their groups tell them apart. */
export function modelLabel(r: Pick<ModelRecord, 'group' | 'modelName'>): string {
  return terminalSafe(`${r.group}/${r.modelName}`)
}

/** What a model that is not moving bytes is doing, in a few words. */
function stateWords(r: ModelRecord): string {
  const notice = retryNotice(r, Date.now())
  if (notice) return terminalSafe(describeRetry(notice))
  if (r.status === 'progress' && r.fetchedBy) return `by ${terminalSafe(r.fetchedBy)}`
  if (r.linkTo && r.status === 'queued') return 'link (after target)'
  if (r.status === 'progress' && r.phase && r.phase !== 'fetching') return r.phase
  return r.status
}

/** One running model on one line of at most `width` characters. */
export function modelLine(r: ModelRecord, width: number): string {
  // Waiting to retry: the reason matters more than a bar that does not move.
  const notice = retryNotice(r, Date.now())
  if (notice) {
    const label = fitMiddle(modelLabel(r), Math.min(36, Math.floor(width / 3)))
    return fitEnd(`${label}  ${terminalSafe(describeRetry(notice))}`, width)
  }
  const p = percent(r)
  const moving = r.status === 'progress' && (r.phase === undefined || r.phase === 'fetching')
  // Until the engine has a speed (its first seconds), "0 B/s ETA –" would read as stalled.
  const right =
    moving && r.speedBps > 0
      ? `${formatBytes(r.speedBps)}/s ETA ${formatEta(r.etaSeconds)}`.padStart(20)
      : fitEnd(moving ? 'starting' : stateWords(r), 20).padEnd(20)
  // pct(6) + space + bar + space + right(20) + two spaces; the name keeps 36 before the bar shrinks.
  const bar = Math.max(BAR_MIN, Math.min(BAR_MAX, width - 6 - 1 - 1 - 20 - 2 - 36))
  const filled = Math.round((p / 100) * bar)
  const head = `${p.toFixed(1).padStart(5)}% ${'█'.repeat(filled)}${'░'.repeat(bar - filled)} ${right}  `
  return fitEnd(head + fitMiddle(modelLabel(r), Math.max(0, width - [...head].length)), width)
}

export interface BatchCounts {
  models: number
  completed: number
  sizeOnly: number
  failed: number
  cancelled: number
  running: number
  waiting: number
  bytesDone: number
  bytesTotal: number
  speedBps: number
}

export function countBatch(records: readonly ModelRecord[]): BatchCounts {
  const c: BatchCounts = {
    models: records.length,
    completed: 0,
    sizeOnly: 0,
    failed: 0,
    cancelled: 0,
    running: 0,
    waiting: 0,
    bytesDone: 0,
    bytesTotal: 0,
    speedBps: 0,
  }
  for (const r of records) {
    const total = r.totalSize || r.expectedSize
    c.bytesTotal += total
    c.bytesDone += r.status === 'completed' ? total : r.downloaded
    if (r.status === 'completed') {
      c.completed++
      if (isSizeOnly(r)) c.sizeOnly++
    } else if (r.status === 'failed') c.failed++
    else if (r.status === 'cancelled') c.cancelled++
    else if (r.status === 'progress') {
      c.running++
      c.speedBps += r.speedBps
    } else c.waiting++
  }
  return c
}

/** Finished models, collapsed: "✓ 12 completed (2 size only) · ✗ 1 failed · 0 cancelled". */
export function finishedLine(c: BatchCounts, width: number): string {
  const parts = [`✓ ${c.completed} completed${c.sizeOnly ? ` (${c.sizeOnly} size only)` : ''}`]
  if (c.failed) parts.push(`✗ ${c.failed} failed`)
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`)
  return fitEnd(parts.join(' · '), width)
}

/** The batch in one line: models, where they stand, bytes and speed. */
export function headerLine(c: BatchCounts, width: number): string {
  const done = c.completed + c.failed + c.cancelled
  const speed = c.running ? ` · ${formatBytes(c.speedBps)}/s` : ''
  return fitEnd(
    `${done}/${c.models} models · ${c.running} running · ${c.waiting} waiting · ` +
      `${formatBytes(c.bytesDone)} of ${formatBytes(c.bytesTotal)}${speed}`,
    width,
  )
}

/**
 * The whole frame for a terminal of `width` × `height`: at most `height` lines (the terminal keeps a
 * line free for the cursor), none longer than `width`. Running models first, then the ones waiting;
 * what does not fit is counted on one line.
 */
export function frameLines(records: readonly ModelRecord[], width: number, height: number): string[] {
  const w = Math.max(20, width)
  const c = countBatch(records)
  const active = records.filter((r) => !TERMINAL_STATUSES.includes(r.status))
  // Running ones, then retries and links (they say something), then plain queued and paused.
  const rank = (r: ModelRecord): number =>
    r.status === 'progress' ? 0 : r.autoRetries > 0 || r.linkTo ? 1 : 2
  const shown = [...active].sort((a, b) => rank(a) - rank(b))
  const room = Math.max(1, height - 2)
  const fits = shown.length <= room ? shown.length : room - 1
  const lines = [headerLine(c, w), ...shown.slice(0, fits).map((r) => modelLine(r, w))]
  if (fits < shown.length) {
    const hidden = shown.slice(fits)
    const running = hidden.filter((r) => r.status === 'progress').length
    const parts = [
      running ? `${running} running` : '',
      hidden.length > running ? `${hidden.length - running} waiting` : '',
    ]
    lines.push(fitEnd(`  … and ${hidden.length} more (${parts.filter(Boolean).join(', ')})`, w))
  }
  if (c.completed + c.failed + c.cancelled > 0) lines.push(finishedLine(c, w))
  return lines.slice(0, Math.max(1, height))
}

/**
 * The closing summary: models, what became of them, bytes that came over the network in this run,
 * the time and the average speed; then how the completed files were checked, on a line of its own
 * (each fits 80 columns for a run of a few kinds). `movedBytes` counts only what moved: resumed bytes
 * and files found complete on disk were not downloaded by this run.
 */
export function closingSummary(
  records: readonly ModelRecord[],
  movedBytes: number,
  seconds: number,
): string[] {
  const c = countBatch(records)
  const outcome = [`${c.completed} completed`]
  if (c.failed) outcome.push(`${c.failed} failed`)
  if (c.cancelled) outcome.push(`${c.cancelled} cancelled`)
  const left = c.models - c.completed - c.failed - c.cancelled
  if (left) outcome.push(`${left} not finished`)
  const rate = seconds > 0 ? movedBytes / seconds : 0
  const how = verificationCounts(records)
  return [
    `${c.models} model${c.models === 1 ? '' : 's'}: ${outcome.join(', ')}; ` +
      `${formatBytes(movedBytes)} downloaded in ${seconds.toFixed(1)} s (${(rate / 1e6).toFixed(1)} MB/s)`,
    ...(how ? [`Verified by ${how}`] : []),
  ]
}

/** "MD5 ETag: 28, size only: 2": how the completed files were checked. */
function verificationCounts(records: readonly ModelRecord[]): string {
  const by = new Map<string, number>()
  for (const r of records) {
    if (r.status !== 'completed') continue
    const key = verifiedByOf(r).join(' + ')
    by.set(key, (by.get(key) ?? 0) + 1)
  }
  return [...by].map(([how, n]) => `${how}: ${n}`).join(', ')
}
