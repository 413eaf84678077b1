import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import type { SourceData } from '@smithy/types'

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data)
}

/**
 * The hash the SigV4 signer is given: SHA-256, or HMAC-SHA256 when constructed with a secret. The
 * same as the SDK's (@smithy/hash-node), over node:crypto, so that a GET can be signed before the
 * SDK is loaded.
 */
export class Sha256 {
  private h: Hash | Hmac

  constructor(private readonly secret?: SourceData) {
    this.h = this.start()
  }

  update(data: SourceData): void {
    this.h.update(bytes(data))
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest())
  }

  reset(): void {
    this.h = this.start()
  }

  private start(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret))
  }
}
