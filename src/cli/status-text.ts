// `modeldl status` for a person: the state folder's files, who owns the queue, what is in it by status
// (cancelled too), the latest batch, and the S3 settings in words rather than JSON.
import { formatBytes } from '../core/transfer/preflight'
import type { ModelStatus, ServiceStatus, StatusCounts } from '../shared/service-contract'
import { terminalSafe } from './format'

const COUNT_ORDER: ModelStatus[] = ['queued', 'progress', 'paused', 'completed', 'failed', 'cancelled']
const COUNT_WORD: Record<ModelStatus, string> = {
  queued: 'queued',
  progress: 'downloading',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
}

/** "2 queued, 1 downloading, 0 paused, 12 completed, 1 failed, 3 cancelled". */
export function countsText(counts: Partial<StatusCounts>): string {
  return COUNT_ORDER.map((s) => `${counts[s] ?? 0} ${COUNT_WORD[s]}`).join(', ')
}

/**
 * The S3 settings in effect, a line for where, one for what, one for who. Only the fields named here
 * are shown: whatever else the settings hold stays out of a terminal that may be shared.
 */
export function s3Lines(s3: Record<string, unknown>, bucket: string | undefined): string[] {
  const str = (k: string): string | undefined =>
    typeof s3[k] === 'string' && s3[k] !== '' ? (s3[k] as string) : undefined
  const endpoint = str('endpoint')
  const addressing = s3['forcePathStyle'] === false ? 'virtual-hosted' : 'path-style'
  const profile = str('profile')
  const key = str('accessKeyId')
  return [
    endpoint ? `endpoint ${endpoint} (${addressing})` : 'AWS S3 (no custom endpoint)',
    `region ${str('region') ?? 'from the AWS configuration'}; ` +
      (bucket ? `default bucket ${bucket}` : 'no default bucket (AWS_BUCKET_NAME)'),
    profile
      ? `credentials from profile ${profile}`
      : key
        ? `access key ${key}`
        : 'credentials from the AWS chain',
  ].map(terminalSafe)
}

export function statusText(s: ServiceStatus, bucket: string | undefined): string {
  const lines = [
    'Model Downloader status',
    `  State folder:  ${s.stateDir}`,
    `  Progress file: ${s.files.progress}`,
    `  Queue file:    ${s.files.state}`,
    `  Log file:      ${s.files.log}`,
    `  Owner:         ${s.owner ? `${s.owner.kind}, pid ${s.owner.pid}, since ${s.owner.since}` : 'none running'}`,
    `  Worker:        ${s.worker.running ? `running (pid ${s.worker.pid})` : 'stopped'}`,
    `  Queue:         ${s.queueLength} models (${s.active} downloading)`,
    `  Models:        ${countsText(s.counts)}`,
    ...s3Lines(s.s3, bucket).map((line, i) => `  ${i === 0 ? 'S3:' : ''}`.padEnd(17) + line),
  ]
  if (s.batch?.models) {
    const b = s.batch
    lines.push(
      `  Latest batch:  ${b.completed}/${b.models} completed, ${b.failed} failed, ${b.cancelled} cancelled; ` +
        `${formatBytes(b.bytesDone)} of ${formatBytes(b.bytesTotal)}`,
    )
  }
  return lines.join('\n')
}
