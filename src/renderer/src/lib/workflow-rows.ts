// What a workflow row says: where the model is (the service's resolution) until the queue has a record
// for its path, then what the queue is doing with it. Words and tones together, never colour alone.
import type { ModelRecord } from '../../../shared/service-contract'
import { UNKNOWN_FOLDER, type ResolvedWorkflowModel } from '../../../shared/workflow'
import { percentOf } from './format'

export type WorkflowTone = 'ok' | 'available' | 'active' | 'warn' | 'bad' | 'quiet'

export interface WorkflowRowState {
  /** The word shown (and what end-to-end tests look for). */
  word: string
  tone: WorkflowTone
  /** While downloading: whole percent. */
  percent?: number
  /** A failure's reason, for the row's title. */
  detail?: string
}

export function workflowRowState(m: ResolvedWorkflowModel, record?: ModelRecord): WorkflowRowState {
  if (record && m.state !== 'installed') {
    switch (record.status) {
      case 'progress':
        return {
          word: 'downloading',
          tone: 'active',
          percent: percentOf(record.downloaded, record.totalSize),
        }
      case 'queued':
        return { word: 'queued', tone: 'quiet' }
      case 'paused':
        return { word: 'paused', tone: 'warn' }
      case 'completed':
        return { word: 'installed', tone: 'ok' }
      case 'failed':
        return {
          word: 'failed',
          tone: 'bad',
          ...(record.errorMessage ? { detail: record.errorMessage } : {}),
        }
      case 'cancelled':
        break // back to where the model can come from
    }
  }
  switch (m.state) {
    case 'installed':
      return { word: 'installed', tone: 'ok' }
    case 's3':
      return { word: 'from S3', tone: 'available' }
    case 'url':
      return { word: 'from URL', tone: 'available' }
    case 'not_found':
      return m.folder === UNKNOWN_FOLDER
        ? { word: 'unknown folder', tone: 'bad' }
        : { word: 'not found', tone: 'bad' }
  }
}

/** Where the row's model comes from, short: the object under the source, the URL's host and path, disk. */
export function workflowSourceText(m: ResolvedWorkflowModel, s3Source?: string): string {
  if (m.state === 'installed') return 'disk'
  if (m.state === 's3' && m.s3Uri) {
    return s3Source && m.s3Uri.startsWith(s3Source) ? m.s3Uri.slice(s3Source.length) : m.s3Uri
  }
  if (m.url) {
    try {
      const url = new URL(m.url)
      return `${url.host}${url.pathname}`
    } catch {
      return m.url
    }
  }
  return '—'
}

/** "7 models · 1 installed · 2 in S3 · 2 at a URL only · 2 not found", zero counts left out. */
export function workflowSummary(models: readonly ResolvedWorkflowModel[]): string {
  const count = (state: ResolvedWorkflowModel['state']) => models.filter((m) => m.state === state).length
  const parts = [`${models.length} ${models.length === 1 ? 'model' : 'models'}`]
  const installed = count('installed')
  const s3 = count('s3')
  const url = count('url')
  const none = count('not_found')
  if (installed) parts.push(`${installed} installed`)
  if (s3) parts.push(`${s3} in S3`)
  if (url) parts.push(`${url} at a URL only`)
  if (none) parts.push(`${none} not found`)
  return parts.join(' · ')
}
