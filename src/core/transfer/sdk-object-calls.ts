import {
  GetObjectCommand,
  HeadObjectCommand,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3'
import type { S3Settings, TransferTuning } from '../../shared/transfer'
import type { ObjectGet, SigningConfig } from './direct-get'
import type { FastBodyOptions } from './fast-http-handler'
import type { ObjectWire } from './object-wire'
import { createS3Client } from './s3-client'
import type { S3Location } from './s3-uri'

type Headers = Record<string, string>

/** The object calls made through the SDK's client: loaded by ObjectStore only when it needs them. */
export interface SdkObjectCalls {
  /** The client's credential chain, signer hash and clock-skew correction, for direct GETs. */
  readonly signing: SigningConfig
  getObject(get: ObjectGet, signal: AbortSignal): Promise<GetObjectCommandOutput>
  headObject(loc: S3Location, signal: AbortSignal): Promise<HeadObjectCommandOutput>
  destroy(): void
}

export function connectSdk(
  settings: S3Settings,
  tuning: Pick<TransferTuning, 'connectTimeoutMs' | 'stallTimeoutMs'>,
  env: Record<string, string | undefined>,
  /** null: the SDK's own handler for everything, object bodies included. */
  wire: ObjectWire | null,
): SdkObjectCalls {
  const client = createS3Client(settings, tuning, env, wire)
  return {
    signing: client.config as unknown as SigningConfig,
    getObject(get, signal) {
      const command = new GetObjectCommand({
        Bucket: get.bucket,
        Key: get.key,
        ...(get.ifMatch !== undefined ? { IfMatch: get.ifMatch } : {}),
        ...(get.range !== undefined ? { Range: get.range } : {}),
      })
      if (get.checksumMode) withChecksumMode(command)
      // Its body comes over the wire as a FastBody, and a 2xx answer teaches the bucket's route.
      const options: FastBodyOptions = {
        abortSignal: signal,
        fastBody: true,
        route: { bucket: get.bucket, key: get.key },
      }
      return client.send(command, options)
    },
    headObject(loc, signal) {
      return client.send(
        new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, ChecksumMode: 'ENABLED' }),
        { abortSignal: signal },
      )
    },
    destroy: () => client.destroy(),
  }
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
