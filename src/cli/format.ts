import { formatBytes } from '../core/transfer/preflight'
import type { ModelRecord } from '../shared/service-contract'
import { isSizeOnly, sizeOnlyReason, verifiedByOf } from '../shared/verification'

/**
 * What a terminal acts on rather than shows: C0 controls (ESC starts every escape sequence; newline,
 * carriage return and backspace rewrite what is on screen), DEL, C1 controls (U+009B is a one-character
 * CSI on some terminals), the bidi marks, embeddings, overrides and isolates that reorder the text
 * around them (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069), and the Unicode line and
 * paragraph separators (U+2028–U+2029).
 */
function actsOnTerminal(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  )
}

/**
 * Text from a store or a config (a key, a group or model name, an error that quotes one), safe to print
 * on a terminal: each character a terminal would act on is shown as its `\uXXXX` escape instead (ESC as
 * the six characters `\u001b`), so an escape sequence in a name is seen, never run. Everything else is
 * kept. The escapes are JSON's: a line of JSON.stringify output passed through keeps its meaning.
 */
export function terminalSafe(text: string): string {
  let safe = ''
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    safe += actsOnTerminal(code) ? `\\u${code.toString(16).padStart(4, '0')}` : text[i]
  }
  return safe
}

export function percent(
  r: Pick<ModelRecord, 'downloaded' | 'totalSize' | 'expectedSize' | 'status'>,
): number {
  const total = r.totalSize || r.expectedSize
  if (r.status === 'completed') return 100
  return total > 0 ? Math.floor((r.downloaded / total) * 1000) / 10 : 0
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '–'
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

/** The status word, with "size only" beside a completed file of which only the length was checked. */
export function statusWord(r: Pick<ModelRecord, 'status' | 'verifiedBy'>): string {
  return isSizeOnly(r) ? 'completed (size only)' : r.status
}

/**
 * `download --wait`'s line when a model changes status; a completed one says how it was verified, and
 * "size only" says what to do about it.
 */
export function statusLine(r: ModelRecord): string {
  const line = `${r.status.padEnd(9)} ${terminalSafe(`${r.group}/${r.modelName}`)}`
  const host = r.fetchedBy ? terminalSafe(r.fetchedBy) : ''
  if (r.status === 'progress' && host) return `${line}  (being fetched by ${host})`
  if (r.status !== 'completed') return line
  if (isSizeOnly(r))
    return `${line}  (size only: ${sizeOnlyReason(r)}; add sha256 to its config entry to verify the bytes)`
  return `${line}  (verified: ${verifiedByOf(r).join(', ')}${host ? `; fetched by ${host}` : ''})`
}

/** One line a model: the `simple` list format. */
export function simpleLine(r: ModelRecord): string {
  const speed =
    r.status === 'progress' ? `  ${formatBytes(r.speedBps)}/s  ETA ${formatEta(r.etaSeconds)}` : ''
  const error = r.status === 'failed' && r.errorMessage ? `  ${terminalSafe(r.errorMessage)}` : ''
  return `${terminalSafe(r.group)}/${terminalSafe(r.modelName)}  ${statusWord(r)}  ${percent(r)}%  ${formatBytes(r.downloaded)}/${formatBytes(r.totalSize || r.expectedSize)}${speed}${error}`
}

export function table(rows: ModelRecord[]): string {
  const head = ['GROUP', 'MODEL', 'STATUS', 'PROGRESS', 'SIZE', 'SPEED', 'ETA']
  const body = rows.map((r) => [
    terminalSafe(r.group),
    terminalSafe(r.modelName),
    statusWord(r),
    `${percent(r).toFixed(1)}%`,
    formatBytes(r.totalSize || r.expectedSize),
    r.status === 'progress' ? `${formatBytes(r.speedBps)}/s` : '',
    r.status === 'progress' ? formatEta(r.etaSeconds) : '',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function listJson(r: ModelRecord): Record<string, unknown> {
  return {
    group: r.group,
    modelName: r.modelName,
    localPath: r.localPath,
    status: r.status,
    downloaded: r.downloaded,
    totalSize: r.totalSize || r.expectedSize,
    percent: percent(r),
    speedBps: r.speedBps,
    etaSeconds: r.etaSeconds,
    attempts: r.attempts,
    autoRetries: r.autoRetries,
    ...(r.status === 'completed' ? { verifiedBy: verifiedByOf(r) } : {}),
    ...(r.fetchedBy ? { fetchedBy: r.fetchedBy } : {}),
    ...(r.errorCode ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : {}),
  }
}

/** A word as a shell reads it back: quoted when it holds anything but plain characters. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
