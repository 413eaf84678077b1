import { z } from 'zod'
import type { ModelRecord } from '../../../shared/service-contract'

/**
 * A ModelRecord as read back from disk. Unknown extra fields (from a newer version) are dropped rather
 * than rejected. The live-only fields (phase, speed, ETA) fall back to neutral values instead of
 * failing: a stray NaN there must not make the whole state file "corrupt".
 */
export const ModelRecordSchema = z.object({
  id: z.string().min(1),
  group: z.string(),
  modelName: z.string(),
  s3Uri: z.string().optional(),
  url: z.string().optional(),
  localPath: z.string().min(1),
  expectedSize: z.number().nonnegative(),
  sha256: z.string().optional(),
  linkTo: z.string().optional(),
  linkReason: z.enum(['symLinkedFrom', 'same-object']).optional(),
  status: z.enum(['queued', 'progress', 'paused', 'completed', 'failed', 'cancelled']),
  phase: z.enum(['head', 'fetching', 'verifying', 'finalizing', 'following']).optional().catch(undefined),
  downloaded: z.number().nonnegative(),
  totalSize: z.number().nonnegative(),
  speedBps: z.number().nonnegative().catch(0),
  etaSeconds: z.number().nonnegative().nullable().catch(null),
  attempts: z.number().int().nonnegative(),
  autoRetries: z.number().int().nonnegative(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  retryAt: z.string().optional().catch(undefined),
  retryLimit: z.number().int().nonnegative().optional().catch(undefined),
  etag: z.string().optional(),
  objectLastModified: z.string().optional(),
  verifiedBy: z.array(z.string()).optional().catch(undefined),
  fetchedBy: z.string().optional().catch(undefined),
  batchId: z.string(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  lastUpdated: z.string(),
}) satisfies z.ZodType<ModelRecord>

// Fails to compile when ModelRecord gains a field the schema does not read (it would be dropped).
type AssertNone<T extends never> = T
type _EveryFieldRead = AssertNone<Exclude<keyof ModelRecord, keyof z.infer<typeof ModelRecordSchema>>>
