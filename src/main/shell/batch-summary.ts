import type { BatchProgress } from '../../shared/service-contract'

/** The batch has models and not all of them have ended. */
export function batchIsRunning(batch: BatchProgress | null): batch is BatchProgress {
  if (!batch || batch.batchId === null || batch.models === 0) return false
  return batch.completed + batch.failed + batch.cancelled < batch.models
}

/**
 * The value for BrowserWindow.setProgressBar: the batch's byte fraction while it runs, -1 (no bar)
 * once it has ended, 2 (indeterminate) while sizes are still unknown.
 */
export function taskbarProgressValue(batch: BatchProgress | null): number {
  if (!batchIsRunning(batch)) return -1
  if (batch.bytesTotal <= 0) return 2
  return Math.min(1, Math.max(0, batch.bytesDone / batch.bytesTotal))
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${UNITS[unit]}`
}

/** The tray's tooltip: what a glance at the tray should tell ("2 of 5 models · 41% · 12.3 MB/s"). */
export function trayTooltip(batch: BatchProgress | null): string {
  if (!batchIsRunning(batch)) return 'Model Downloader'
  const done = batch.completed + batch.failed + batch.cancelled
  const parts = [`${done} of ${batch.models} models`]
  if (batch.bytesTotal > 0) parts.push(`${Math.floor((batch.bytesDone / batch.bytesTotal) * 100)}%`)
  if (batch.speedBps > 0) parts.push(`${formatBytes(batch.speedBps)}/s`)
  if (batch.failed > 0) parts.push(`${batch.failed} failed`)
  return `Model Downloader — ${parts.join(' · ')}`
}
