import { classifyS3Error } from '../transfer/s3-errors'

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

export function cancelledError(uri: string): ScanError {
  return new ScanError('cancelled', `Scan of ${uri} cancelled`)
}

/** A listing failure, in words a person can act on, and whether another attempt may succeed. */
export function toScanError(
  err: unknown,
  uri: string,
  bucket: string,
): { error: ScanError; retryable: boolean } {
  if (err instanceof ScanError) return { error: err, retryable: false }
  const raw = (err ?? {}) as { name?: string; Code?: string }
  // The bucket knows the key id but not these credentials: a credentials problem, not a missing grant.
  if (
    raw.name === 'InvalidAccessKeyId' ||
    raw.name === 'SignatureDoesNotMatch' ||
    raw.Code === 'InvalidAccessKeyId'
  ) {
    const message = `The store refused the credentials while listing ${uri} (${raw.name ?? raw.Code}): check the access key and secret, or the AWS profile in Settings`
    return { error: new ScanError('credentials', message, { cause: err }), retryable: false }
  }
  const classified = classifyS3Error(err, uri, 'ListObjectsV2')
  const make = (code: ScanErrorCode, message: string) => ({
    error: new ScanError(code, message, { cause: err }),
    retryable: classified.retryable,
  })
  switch (classified.code) {
    case 'access_denied':
      return make(
        'access_denied',
        `Access denied listing ${uri}: these credentials have no s3:ListBucket permission on "${bucket}". ` +
          'Load a model config file instead (it names the objects, which needs only s3:GetObject), ' +
          'or ask for ListBucket on the bucket and check the AWS profile or keys in Settings.',
      )
    case 'not_found':
      return make(
        'not_found',
        `The bucket "${bucket}" does not exist on this endpoint (listing ${uri}): check the bucket name and the endpoint in Settings`,
      )
    case 'credentials_missing':
    case 'credentials_expired':
      return make('credentials', classified.message)
    default:
      return make('network', `Could not list ${uri}: ${classified.message}`)
  }
}
