import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc'
import type { ChecksumAlgorithm } from '../../shared/transfer'

/** An incremental digest of a file's bytes, fed in order. */
export interface Hasher {
  readonly algorithm: ChecksumAlgorithm
  update(data: Uint8Array): void
  /** Lower-case hex. */
  digestHex(): Promise<string>
}

export function createHasher(algorithm: ChecksumAlgorithm): Hasher {
  switch (algorithm) {
    case 'sha256':
    case 'sha1':
    case 'md5-etag': {
      const hash = createHash(algorithm === 'md5-etag' ? 'md5' : algorithm)
      return { algorithm, update: (d) => hash.update(d), digestHex: async () => hash.digest('hex') }
    }
    case 'crc32': {
      // zlib's native crc32 (Node ≥ 20.15): the SDK's JS one is several times slower.
      let value = 0
      return {
        algorithm,
        update: (d) => {
          value = crc32(d, value)
        },
        digestHex: async () => value.toString(16).padStart(8, '0'),
      }
    }
    case 'crc32c':
    case 'crc64nvme': {
      const checksum = algorithm === 'crc32c' ? new Crc32c() : new Crc64Nvme()
      return {
        algorithm,
        update: (d) => checksum.update(d),
        digestHex: async () => Buffer.from(await checksum.digest()).toString('hex'),
      }
    }
  }
}
