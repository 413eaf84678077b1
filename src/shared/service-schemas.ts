// Runtime checks for what crosses into the service from another process (socket, IPC, WebSocket).
import { z } from 'zod'

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), 'must not contain a NUL byte')
  .refine(
    (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
    'must be an absolute path',
  )

export const EnqueueEntrySchema = z.object({
  group: z.string().min(1),
  modelName: z.string().min(1),
  s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must be s3://bucket/key'),
  localPath: absolutePath,
  expectedSize: z.number().int().nonnegative(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
    .optional(),
  symLinkedFrom: absolutePath.optional(),
})

export const EnqueueRequestSchema = z.object({
  entries: z.array(EnqueueEntrySchema).max(100_000),
  force: z.boolean().optional(),
})

export const ModelSelectorSchema = z.union([
  z.object({ all: z.literal(true) }),
  z.object({ allFailed: z.literal(true) }),
  z.object({ ids: z.array(z.string()).max(100_000) }),
  z.object({ group: z.string(), modelName: z.string() }),
  z.object({ path: z.string().min(1) }),
])

export const MovePositionSchema = z.enum(['top', 'up', 'down', 'bottom'])

export const StopWorkerOptionsSchema = z.object({ force: z.boolean() })

/** "entries.3.localPath: must be an absolute path" — the field, then what is wrong. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')
}
