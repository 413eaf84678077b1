import { formatBytes } from '../core/transfer/preflight'
import type { ModelRecord } from '../shared/service-contract'

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

/** One line a model: the `simple` list format. */
export function simpleLine(r: ModelRecord): string {
  const speed =
    r.status === 'progress' ? `  ${formatBytes(r.speedBps)}/s  ETA ${formatEta(r.etaSeconds)}` : ''
  const error = r.status === 'failed' && r.errorMessage ? `  ${r.errorMessage}` : ''
  return `${r.group}/${r.modelName}  ${r.status}  ${percent(r)}%  ${formatBytes(r.downloaded)}/${formatBytes(r.totalSize || r.expectedSize)}${speed}${error}`
}

export function table(rows: ModelRecord[]): string {
  const head = ['GROUP', 'MODEL', 'STATUS', 'PROGRESS', 'SIZE', 'SPEED', 'ETA']
  const body = rows.map((r) => [
    r.group,
    r.modelName,
    r.status,
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
    ...(r.errorCode ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : {}),
  }
}
