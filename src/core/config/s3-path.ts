import { formatS3Uri, parseS3Uri } from '../transfer/s3-uri'
import { describeValue } from './issues'

export type Resolved = { ok: true; value: string } | { ok: false; message: string }

/**
 * `s3://bucket/key` as is; a key without a bucket (the old config's usual form, with or without a leading
 * `/`) goes to the default bucket.
 */
export function resolveS3Path(raw: string, defaultBucket: string | undefined): Resolved {
  if (raw.startsWith('s3://')) {
    const location = tryParseS3Uri(raw)
    if (!location) return { ok: false, message: `expected s3://bucket/key, got ${describeValue(raw)}` }
    if (location.key.endsWith('/'))
      return { ok: false, message: `${describeValue(raw)} names a folder, not an object` }
    return { ok: true, value: formatS3Uri(location) }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    return { ok: false, message: `only s3:// locations are supported, got ${describeValue(raw)}` }
  }
  const key = raw.replace(/^\/+/, '')
  if (key === '' || key.endsWith('/')) {
    return { ok: false, message: `${describeValue(raw)} names a folder, not an object` }
  }
  if (defaultBucket === undefined) {
    return {
      ok: false,
      message: `${describeValue(raw)} has no bucket and no default bucket is set (set AWS_BUCKET_NAME or the bucket setting)`,
    }
  }
  return { ok: true, value: formatS3Uri({ bucket: defaultBucket, key }) }
}

// The transfer layer decides what a valid bucket is; asking it keeps config and transfer from disagreeing.
export function isBucketName(bucket: string): boolean {
  return !bucket.includes('/') && tryParseS3Uri(`s3://${bucket}/key`) !== undefined
}

function tryParseS3Uri(uri: string): ReturnType<typeof parseS3Uri> | undefined {
  try {
    return parseS3Uri(uri)
  } catch {
    return undefined
  }
}
