// Runtime checks for what crosses into the service from another process (socket, IPC, WebSocket).
import { z } from 'zod'
import { MAX_CONFIG_ENTRIES, MAX_NAME_CHARS, MAX_PATH_BYTES, MAX_S3_URI_CHARS, MAX_URL_CHARS } from './limits'

// A lone UTF-16 surrogate cannot be written as UTF-8: the file system would get U+FFFD instead.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const encoder = new TextEncoder()
const utf8Bytes = (text: string): number => encoder.encode(text).length

/** The shape of a path a request names; which folders it may be in is the gate's (src/core/gate). */
export const AbsolutePathSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => utf8Bytes(p) <= MAX_PATH_BYTES, `must be at most ${MAX_PATH_BYTES} bytes`)
  .refine((p) => !p.includes('\0'), 'must not contain a NUL byte')
  .refine((p) => !LONE_SURROGATE.test(p) && !p.includes('\uFFFD'), 'is not valid UTF-8')
  .refine(
    (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
    'must be an absolute path',
  )

export const NameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`)

export const ObjectUriSchema = z
  .string()
  .max(MAX_S3_URI_CHARS)
  .regex(/^s3:\/\/[^/]+\/.+$/, 'must be s3://bucket/key')

export const HttpsUrlSchema = z
  .string()
  .max(MAX_URL_CHARS)
  .regex(/^https:\/\/[^/?#\s]+[^\s]*$/, 'must be an https:// URL')

export const EnqueueEntrySchema = z
  .object({
    group: NameSchema,
    modelName: NameSchema,
    s3Uri: ObjectUriSchema.optional(),
    url: HttpsUrlSchema.optional(),
    localPath: AbsolutePathSchema,
    expectedSize: z.number().int().nonnegative(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
      .optional(),
    symLinkedFrom: AbsolutePathSchema.optional(),
  })
  .refine((e) => (e.s3Uri === undefined) !== (e.url === undefined), {
    message: 'needs exactly one of s3Uri and url',
    path: ['s3Uri'],
  })

export const EnqueueRequestSchema = z.object({
  entries: z.array(EnqueueEntrySchema).max(MAX_CONFIG_ENTRIES),
  force: z.boolean().optional(),
})

export const ModelSelectorSchema = z.union([
  z.object({ all: z.literal(true) }),
  z.object({ allFailed: z.literal(true) }),
  z.object({ ids: z.array(z.string().max(MAX_PATH_BYTES)).max(MAX_CONFIG_ENTRIES) }),
  z.object({ group: z.string().max(MAX_NAME_CHARS), modelName: z.string().max(MAX_NAME_CHARS) }),
  z.object({ path: z.string().min(1).max(MAX_PATH_BYTES) }),
])

export const MovePositionSchema = z.enum(['top', 'up', 'down', 'bottom'])

export const StopWorkerOptionsSchema = z.object({ force: z.boolean() })

/** "entries.3.localPath: must be an absolute path" — the field, then what is wrong. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')
}
