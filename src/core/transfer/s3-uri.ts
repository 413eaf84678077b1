import { TransferError } from './errors'

export interface S3Location {
  bucket: string
  key: string
}

/** `s3://bucket/key/with/slashes` → {bucket, key}. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)
  if (!match)
    throw new TransferError('invalid_job', `Not an S3 object URI: "${uri}" (expected s3://bucket/key)`)
  const [, bucket, key] = match as unknown as [string, string, string]
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !/^[A-Za-z0-9._-]{1,255}$/.test(bucket)) {
    throw new TransferError('invalid_job', `Not a valid bucket name in "${uri}"`)
  }
  return { bucket, key }
}

export function formatS3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`
}
