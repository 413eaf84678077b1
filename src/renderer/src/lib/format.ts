// Numbers as the window shows them: decimal units (what drive makers and S3 consoles use), one decimal
// place below 100 so a column of sizes lines up and a ticking value does not jitter in width.

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  if (bytes < 1000) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  // 999.96 MB would print as "1000.0 MB": carry it into the next unit instead.
  if (value >= 999.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[unit]}`
}

/** "1.2 / 6.9 GB" when both share a unit, else "850 MB / 6.9 GB". */
export function formatBytesPair(done: number, total: number): string {
  const a = formatBytes(done)
  const b = formatBytes(total)
  const unitA = a.split(' ')[1]
  const unitB = b.split(' ')[1]
  return unitA === unitB ? `${a.split(' ')[0]} / ${b}` : `${a} / ${b}`
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—'
  return `${formatBytes(bytesPerSecond)}/s`
}

/** "45s", "3m 05s", "2h 04m"; "—" while unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 100) return `${h}h ${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d`
}

/** Whole percent, never 100 before the last byte (a bar at 100% that is still running misleads). */
export function percentOf(done: number, total: number): number {
  if (!(total > 0)) return 0
  if (done >= total) return 100
  return Math.min(99, Math.max(0, Math.floor((done / total) * 100)))
}

export function formatCount(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

/**
 * A long path cut in the middle, keeping its root and its last folders, which are what tell two
 * models apart: "/workspace/…/models/loras/detail.safetensors".
 */
export function shortenPath(path: string, keepTail = 3): string {
  const sep = path.includes('\\') && !path.includes('/') ? '\\' : '/'
  const parts = path.split(sep)
  // ['', 'workspace', …] for an absolute POSIX path: the head is '/workspace'.
  const headCount = parts[0] === '' ? 2 : 1
  if (parts.length <= headCount + keepTail + 1) return path
  return [...parts.slice(0, headCount), '…', ...parts.slice(-keepTail)].join(sep)
}

/**
 * Where a model lands, as the path cell shows it: its folder inside the models root ("loras/sdxl/"),
 * plus the file name when it differs from the model's name. Outside the root (a config read before the
 * root changed) it falls back to the whole path, shortened. The full path is always in the tooltip.
 */
export function placeInRoot(localPath: string, modelName: string, modelsRoot: string | undefined): string {
  const sep = localPath.includes('\\') && !localPath.includes('/') ? '\\' : '/'
  const root = modelsRoot?.replace(/[\\/]+$/, '')
  if (!root || !localPath.startsWith(root + sep)) return shortenPath(localPath)
  const rel = localPath.slice(root.length + 1)
  const cut = rel.lastIndexOf(sep)
  const folder = cut >= 0 ? rel.slice(0, cut + 1) : ''
  const file = rel.slice(cut + 1)
  if (file === modelName) return folder || `.${sep}`
  return folder + file
}

/** Local date and time to the second, or '—'. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

/**
 * The message of whatever an invoke rejected with: ApiError messages already say what to do. Electron's
 * context bridge passes errors as plain `{ code, message }` objects, so any object with a message counts.
 */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { message } = error as { message: unknown }
    if (typeof message === 'string' && message) return message
  }
  if (typeof error === 'string' && error) return error
  return 'Something went wrong and the service gave no reason: see the log file in the state folder.'
}
