import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3'
import type { ObjectGet, SigningConfig } from './direct-get'
import { FastHttpHandler, type FastBodyOptions } from './fast-http-handler'

type Headers = Record<string, string>

/**
 * One object GET, its body a FastBody: signed and sent directly when the bucket's route is known
 * (see DirectGets), else through the SDK, whose 2xx answer teaches the route. Errors are the SDK's
 * either way: a direct answer other than 2xx is asked again through the SDK.
 */
export async function getObject(
  client: S3Client,
  get: ObjectGet,
  signal: AbortSignal,
): Promise<GetObjectCommandOutput> {
  const handler = client.config.requestHandler
  if (handler instanceof FastHttpHandler) {
    const response = await handler.sendDirect(get, client.config as unknown as SigningConfig, signal)
    if (response) return toOutput(response.statusCode, response.headers, response.body)
  }
  const command = new GetObjectCommand({
    Bucket: get.bucket,
    Key: get.key,
    ...(get.ifMatch !== undefined ? { IfMatch: get.ifMatch } : {}),
    ...(get.range !== undefined ? { Range: get.range } : {}),
  })
  if (get.checksumMode) withChecksumMode(command)
  const options: FastBodyOptions = {
    abortSignal: signal,
    fastBody: true,
    route: { bucket: get.bucket, key: get.key },
  }
  return client.send(command, options)
}

/**
 * Asks for the checksum headers with `x-amz-checksum-mode: ENABLED` on the wire only: the command's
 * ChecksumMode member would also make the SDK validate the body as it streams, a second hash (in
 * JavaScript for CRC64NVME) of bytes we verify ourselves.
 */
function withChecksumMode(command: GetObjectCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Headers }
      if (request.headers) request.headers['x-amz-checksum-mode'] = 'ENABLED'
      return next(args)
    },
    { step: 'build', name: 'modeldlChecksumModeHeader' },
  )
}

/** The members of GetObjectCommandOutput that the transfer reads, from the answer's headers. */
function toOutput(status: number, h: Headers, body: unknown): GetObjectCommandOutput {
  const length = h['content-length']
  const modified = h['last-modified']
  const out: Record<string, unknown> = {
    $metadata: { httpStatusCode: status },
    Body: body,
    ContentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    LastModified: modified ? new Date(modified) : undefined,
  }
  for (const [member, header] of HEADER_MEMBERS) {
    const value = h[header]
    if (value !== undefined) out[member] = value
  }
  return out as unknown as GetObjectCommandOutput
}

const HEADER_MEMBERS: ReadonlyArray<[keyof GetObjectCommandOutput, string]> = [
  ['ETag', 'etag'],
  ['ContentRange', 'content-range'],
  ['StorageClass', 'x-amz-storage-class'],
  ['Restore', 'x-amz-restore'],
  ['ChecksumType', 'x-amz-checksum-type'],
  ['ChecksumSHA256', 'x-amz-checksum-sha256'],
  ['ChecksumCRC64NVME', 'x-amz-checksum-crc64nvme'],
  ['ChecksumCRC32', 'x-amz-checksum-crc32'],
  ['ChecksumCRC32C', 'x-amz-checksum-crc32c'],
  ['ChecksumSHA1', 'x-amz-checksum-sha1'],
  ['ServerSideEncryption', 'x-amz-server-side-encryption'],
  ['SSECustomerAlgorithm', 'x-amz-server-side-encryption-customer-algorithm'],
]
