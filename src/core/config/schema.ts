import { z } from 'zod'
import { MAX_URL_CHARS } from '../../shared/limits'
import { describeValue, type ConfigIssue } from './issues'

const text = z.string().min(1)

/** One model's known fields as the config writes them, before any resolution. */
const rawModelSchema = z.object({
  // Exactly one of the two (checked in checkRawModel): the S3 object, or an https URL to fetch it from.
  originalS3Path: text.optional(),
  url: z
    .string()
    .max(MAX_URL_CHARS)
    .regex(/^https:\/\/[^/?#\s]+\S*$/)
    .optional(),
  localPath: text,
  modelName: text,
  modelSize: z.number().int().min(0),
  directoryGroup: text,
  // null is how JSON writers say "none" for an optional field.
  symLinkedFrom: text.nullish(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/i)
    .transform((hex) => hex.toLowerCase())
    .nullish(),
})

export type RawModel = z.infer<typeof rawModelSchema>
type KnownField = keyof typeof rawModelSchema.shape

// zod's messages describe its own types; these say what the field should hold, in the config's terms.
const EXPECTED: Record<KnownField, string> = {
  originalS3Path: 'an S3 location (s3://bucket/key, or a key in the default bucket)',
  url: 'an https:// URL (Hugging Face, CivitAI, any server with byte ranges)',
  localPath: 'an absolute file path',
  modelName: 'a non-empty name',
  modelSize: 'a whole number of bytes ≥ 0',
  directoryGroup: 'a non-empty group name',
  symLinkedFrom: 'an absolute file path',
  sha256: '64 hexadecimal digits',
}
const KNOWN_FIELDS = Object.keys(EXPECTED) as KnownField[]
const OPTIONAL = new Set<KnownField>(['symLinkedFrom', 'sha256', 'url'])

export type RawCheck =
  { ok: true; model: RawModel; extra: Record<string, unknown> } | { ok: false; issues: ConfigIssue[] }

export function checkRawModel(value: unknown, entry: string): RawCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const required = KNOWN_FIELDS.filter((field) => !OPTIONAL.has(field))
    const message = `expected an object with ${required.join(', ')}, got ${describeValue(value)}`
    return { ok: false, issues: [{ entry, field: '', message }] }
  }
  // Own fields only, read without the prototype: a field named `__proto__` (JSON.parse makes it an own
  // field) is kept as data, and never lends the model a missing sha256 or symLinkedFrom.
  const fields = value as Record<string, unknown>
  const known: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  for (const [field, fieldValue] of Object.entries(fields)) {
    if ((KNOWN_FIELDS as string[]).includes(field)) known[field] = fieldValue
    else
      Object.defineProperty(extra, field, {
        value: fieldValue,
        enumerable: true,
        writable: true,
        configurable: true,
      })
  }
  const result = rawModelSchema.safeParse(known)
  if (result.success) {
    const { originalS3Path, url } = result.data
    if ((originalS3Path === undefined) === (url === undefined)) {
      const message =
        url === undefined
          ? `missing; expected ${EXPECTED.originalS3Path}, or a url`
          : 'give either originalS3Path or url, not both'
      return { ok: false, issues: [{ entry, field: 'originalS3Path', message }] }
    }
    return { ok: true, model: result.data, extra }
  }
  const failed = new Set(result.error.issues.map((issue) => issue.path[0]))
  const issues = KNOWN_FIELDS.filter((field) => failed.has(field)).map((field) => ({
    entry,
    field,
    message:
      known[field] === undefined
        ? `missing; expected ${EXPECTED[field]}`
        : `expected ${EXPECTED[field]}, got ${describeValue(known[field])}`,
  }))
  return { ok: false, issues }
}
