import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import { headObject, openObject, type ObjectInfo } from './head'
import type { ObjectStore } from './object-store'
import { classifyS3Error } from './s3-errors'
import type { TransferJob } from '../../shared/transfer'
import { TransferError } from './errors'
import type { HttpSources } from './http-source/http-sources'
import { formatS3Uri, parseS3Uri, type S3Location } from './s3-uri'

/** A GET of the object or of one range of it, checked against the validator its HEAD gave. */
export interface SourceGet {
  /** The ETag its HEAD answered: a changed object must not be mixed with the bytes already written. */
  etag: string
  /** `bytes=a-b`; absent for the whole object. */
  range?: string
}

/**
 * Where a transfer's bytes come from: an S3 object, or an https URL (see http-source/). The transfer
 * asks the same of both: what the object is (size, validator, checksum), its whole body, a range.
 * Answers have GetObjectCommandOutput's shape (status, Content-Range, Content-Length, Body).
 */
export interface ObjectSource {
  /** How messages name it (credentials masked). */
  readonly name: string
  /** What a resume must match in the sidecar besides size and ETag. */
  readonly identity: string
  head(signal: AbortSignal, maxAttempts: number): Promise<ObjectInfo>
  /** A GET of the whole object standing in for the HEAD of a one-stream fetch. */
  open(
    signal: AbortSignal,
    maxAttempts: number,
  ): Promise<{ info: ObjectInfo; response: GetObjectCommandOutput }>
  get(request: SourceGet, signal: AbortSignal): Promise<GetObjectCommandOutput>
  /** Whatever a request threw, as a TransferError that says what to do. */
  classify(err: unknown, op: string): TransferError
}

/** The job's S3 object, or its https URL. */
export function jobSource(
  job: TransferJob,
  ctx: { store: ObjectStore; http?: HttpSources; log?(level: 'info' | 'warn', message: string): void },
): ObjectSource {
  if (job.url === undefined) return new S3ObjectSource(ctx.store, parseS3Uri(job.s3Uri ?? ''))
  if (!ctx.http) throw new TransferError('invalid_job', 'This worker cannot fetch https URLs')
  return ctx.http.source(job.url, ctx.log)
}

/** An S3 object through the worker's ObjectStore. */
export class S3ObjectSource implements ObjectSource {
  readonly name: string
  readonly identity: string
  constructor(
    private readonly store: ObjectStore,
    private readonly loc: S3Location,
  ) {
    this.name = formatS3Uri(loc)
    this.identity = this.name
  }

  head(signal: AbortSignal, maxAttempts: number): Promise<ObjectInfo> {
    return headObject(this.store, this.loc, signal, maxAttempts)
  }

  open(
    signal: AbortSignal,
    maxAttempts: number,
  ): Promise<{ info: ObjectInfo; response: GetObjectCommandOutput }> {
    return openObject(this.store, this.loc, signal, maxAttempts)
  }

  get(request: SourceGet, signal: AbortSignal): Promise<GetObjectCommandOutput> {
    const { bucket, key } = this.loc
    return this.store.getObject(
      { bucket, key, ifMatch: request.etag, ...(request.range ? { range: request.range } : {}) },
      signal,
    )
  }

  classify(err: unknown, op: string): TransferError {
    return classifyS3Error(err, this.name, op)
  }
}
