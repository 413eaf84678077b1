import type { S3Client } from '@aws-sdk/client-s3'
import type { ScannedModel } from '../../shared/api-contract'

export type ScanErrorCode =
  'access_denied' | 'not_found' | 'bad_uri' | 'network' | 'credentials' | 'cancelled'

/** Why a scan stopped; `message` says what happened and what to do. */
export class ScanError extends Error {
  override readonly name = 'ScanError'
  constructor(
    readonly code: ScanErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface ScanPage {
  models: ScannedModel[]
  folders: string[]
  listed: number
}

export interface ScanOptions {
  client: S3Client
  uri: string
  allTypes?: boolean
  extensions: readonly string[]
  modelsRoot: string
  networkVolume?: string
  signal?: AbortSignal
  onPage?: (page: ScanPage) => void | Promise<void>
}

export async function scanSource(options: ScanOptions): Promise<ScanPage> {
  void options
  throw new ScanError('bad_uri', 'not implemented yet')
}
