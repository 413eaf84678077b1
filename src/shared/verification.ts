// How a completed file was checked, in the words every view uses: the service writes them into a
// record's `verifiedBy`; `modeldl get`, which keeps no records, describes its results the same way.
import { SIZE_ONLY, type ModelRecord } from './service-contract'
import type { VerifiedChecksum } from './transfer'

/** "sha256 from config", "S3 CRC64NVME", "MD5 ETag": how one checksum was checked. */
export function describeVerification(v: VerifiedChecksum): string {
  if (v.source === 'job') return `${v.algorithm} from config`
  if (v.source === 'etag') return 'MD5 ETag'
  if (v.source === 'server') return `${v.algorithm} from the server`
  return `S3 ${v.algorithm.toUpperCase()}`
}

/** A completed record's `verifiedBy`, never empty: a record saved before it was always set says size only. */
export function verifiedByOf(record: Pick<ModelRecord, 'verifiedBy'>): string[] {
  return record.verifiedBy?.length ? record.verifiedBy : [SIZE_ONLY]
}

/** Completed, but only its length was checked: every view says so rather than a plain "completed". */
export function isSizeOnly(record: Pick<ModelRecord, 'status' | 'verifiedBy'>): boolean {
  const by = verifiedByOf(record)
  return record.status === 'completed' && by.length === 1 && by[0] === SIZE_ONLY
}

/** Why only a file's length was checked, in a few words: a record knows which way it completed. */
export function sizeOnlyReason(record: Pick<ModelRecord, 'etag' | 'linkTo' | 'fetchedBy'>): string {
  if (record.linkTo) return 'a link to a file checked by its size only'
  if (record.fetchedBy) return `fetched by ${record.fetchedBy}, whose check was not seen here`
  if (record.etag) return 'the store gave no checksum and its ETag is not an MD5'
  return 'the file was found complete on disk, not downloaded'
}

/** Why a file is "size only" and what to do about it, for a tooltip or the details drawer. */
export function sizeOnlyExplanation(record: Pick<ModelRecord, 'etag' | 'linkTo' | 'fetchedBy'>): string {
  return `Only its length was checked: ${sizeOnlyReason(record)}. Add a sha256 to its config entry to verify the bytes.`
}
