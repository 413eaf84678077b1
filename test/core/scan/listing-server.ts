// A minimal ListObjectsV2 server for what s3rver cannot show: keys real S3 accepts but s3rver's file
// store rewrites (`..`, `.`, empty segments, backslashes are stored as paths and listed normalized), and
// S3's exact listing order (UTF-8 byte order; s3rver walks folders, so `a-b` and `a/b` come out swapped).
// It speaks the real protocol to the real SDK: XML bodies, MaxKeys, opaque continuation tokens, and a
// Delimiter that rolls keys up into CommonPrefixes as S3 does (s3rver misses a folder that holds only
// folders).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ListedObject {
  key: string
  size: number
}

export interface ListingServer {
  endpoint: string
  /** ListObjectsV2 requests answered so far. */
  requests: number
  close(): Promise<void>
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  )

export async function startListingServer(bucket: string, objects: ListedObject[]): Promise<ListingServer> {
  const sorted = [...objects].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
  const state = { requests: 0 }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== `/${bucket}` && url.pathname !== `/${bucket}/`) {
      res.writeHead(404, { 'content-type': 'application/xml' })
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>no</Message></Error>',
      )
      return
    }
    state.requests++
    const prefix = url.searchParams.get('prefix') ?? ''
    const maxKeys = Number(url.searchParams.get('max-keys') ?? 1000)
    const start = Number(url.searchParams.get('continuation-token') ?? 0)
    const delimiter = url.searchParams.get('delimiter') ?? ''
    // With a delimiter, every key with one after the prefix counts once, as its common prefix.
    const entries: Array<ListedObject | { commonPrefix: string }> = []
    const seen = new Set<string>()
    for (const o of sorted) {
      if (!o.key.startsWith(prefix)) continue
      const cut = delimiter ? o.key.indexOf(delimiter, prefix.length) : -1
      if (cut < 0) entries.push(o)
      else if (!seen.has(o.key.slice(0, cut + 1))) {
        seen.add(o.key.slice(0, cut + 1))
        entries.push({ commonPrefix: o.key.slice(0, cut + 1) })
      }
    }
    const page = entries.slice(start, start + maxKeys)
    const truncated = start + maxKeys < entries.length
    const contents = page
      .filter((o): o is ListedObject => 'key' in o)
      .map(
        (o) =>
          `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>2025-07-10T08:12:00.000Z</LastModified>` +
          `<ETag>&quot;${o.size.toString(16).padStart(32, '0')}&quot;</ETag><Size>${o.size}</Size>` +
          '<StorageClass>STANDARD</StorageClass></Contents>',
      )
      .join('')
    const commonPrefixes = page
      .filter((o): o is { commonPrefix: string } => 'commonPrefix' in o)
      .map((o) => `<CommonPrefixes><Prefix>${escapeXml(o.commonPrefix)}</Prefix></CommonPrefixes>`)
      .join('')
    res.writeHead(200, { 'content-type': 'application/xml' })
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
        `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<NextContinuationToken>${start + maxKeys}</NextContinuationToken>` : '') +
        `${contents}${commonPrefixes}</ListBucketResult>`,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
