import { isBucketName } from '../config/s3-path'

export interface SourceLocation {
  bucket: string
  /** '' (the whole bucket) or a folder prefix ending in '/'. */
  prefix: string
}

/**
 * `s3://bucket/prefix/` → {bucket, prefix}. A source is always a folder: `s3://bucket/models` means the
 * folder `models/`, never the keys that merely start with "models" (`models-old/…`).
 * Returns a message instead when the text is not such a URI.
 */
export function parseSourceUri(
  uri: string,
): { ok: true; source: SourceLocation } | { ok: false; message: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri.trim())
  if (!match) return { ok: false, message: `"${uri}" is not an S3 source: expected s3://bucket/prefix/` }
  const bucket = match[1] ?? ''
  if (!isBucketName(bucket))
    return { ok: false, message: `"${bucket}" is not a valid bucket name (in ${uri})` }
  let prefix = (match[2] ?? '').replace(/^\/+/, '')
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/'
  if (prefix.split('/').some((segment, i, all) => segment === '' && i < all.length - 1)) {
    return { ok: false, message: `"${uri}" has an empty folder name (//): expected s3://bucket/prefix/` }
  }
  return { ok: true, source: { bucket, prefix } }
}

export function formatSourceUri(source: SourceLocation): string {
  return `s3://${source.bucket}/${source.prefix}`
}
