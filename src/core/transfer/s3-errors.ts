import { TransferError } from './errors'

interface SdkErrorShape {
  name?: string
  code?: string
  Code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
  $response?: { statusCode?: number }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired'])
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
])

/**
 * Maps whatever the SDK or the socket threw to a TransferError that names the object and says what
 * to do. `op` is what we were doing ("HEAD", "GET bytes=…") for the message.
 */
export function classifyS3Error(err: unknown, object: string, op: string): TransferError {
  if (err instanceof TransferError) return err
  const e = (err ?? {}) as SdkErrorShape
  const name = e.name ?? ''
  const code = e.code ?? e.Code ?? name
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode
  const detail = e.message ? `: ${e.message}` : ''

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    return new TransferError(
      'credentials_missing',
      `No AWS credentials found for ${object}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or keys in Settings`,
      false,
      { cause: err },
    )
  }
  if (EXPIRED.has(code) || (status === 400 && op === 'HEAD')) {
    return new TransferError(
      'credentials_expired',
      `The AWS credentials were refused as expired while reading ${object}: refresh them (for SSO: aws sso login)`,
      false,
      { cause: err },
    )
  }
  if (code === 'InvalidObjectState') {
    return new TransferError(
      'not_restored',
      `${object} is archived (Glacier/Deep Archive) and not restored: restore it before downloading`,
      false,
      { cause: err },
    )
  }
  if (status === 404 || code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket') {
    const what = code === 'NoSuchBucket' ? 'Its bucket does not exist' : 'Not found'
    return new TransferError('not_found', `${what}: ${object}`, false, { cause: err })
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new TransferError(
      'access_denied',
      `The bucket refused the credentials for ${object} (${code}): check the access key and secret`,
      false,
      { cause: err },
    )
  }
  if (status === 403 || code === 'AccessDenied' || code === 'Forbidden') {
    return new TransferError(
      'access_denied',
      `Access denied to ${object} (or it does not exist and the credentials lack s3:ListBucket): check the AWS profile or keys`,
      false,
      { cause: err },
    )
  }
  if (status === 412 || code === 'PreconditionFailed') {
    return new TransferError('object_changed', `${object} changed on the server during the download`, false, {
      cause: err,
    })
  }
  if (THROTTLED.has(code) || (status !== undefined && status >= 500)) {
    return new TransferError(
      'server_error',
      `The server failed ${op} of ${object} (${status ?? code})${detail}`,
      true,
      {
        cause: err,
      },
    )
  }
  const sysCode = (err as { code?: string })?.code
  if (name === 'TimeoutError') {
    return new TransferError(
      'network',
      `The connection stalled or timed out during ${op} of ${object}`,
      true,
      { cause: err },
    )
  }
  if (
    name === 'AbortError' ||
    (sysCode !== undefined && NETWORK_CODES.has(sysCode)) ||
    /socket hang up|aborted|premature close|terminated/i.test(e.message ?? '')
  ) {
    return new TransferError('network', `Network error during ${op} of ${object}${detail}`, true, {
      cause: err,
    })
  }
  return new TransferError('internal', `Unexpected error during ${op} of ${object}${detail}`, true, {
    cause: err,
  })
}
