import { z } from 'zod'
import { describeValue, type ConfigIssue } from './issues'

const text = z.string().min(1)

/** One model as the config writes it, before any resolution. Unknown fields pass through. */
const rawModelSchema = z.looseObject({
  originalS3Path: text,
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
  localPath: 'an absolute file path',
  modelName: 'a non-empty name',
  modelSize: 'a whole number of bytes ≥ 0',
  directoryGroup: 'a non-empty group name',
  symLinkedFrom: 'an absolute file path',
  sha256: '64 hexadecimal digits',
}
const KNOWN_FIELDS = Object.keys(EXPECTED) as KnownField[]

export type RawCheck =
  { ok: true; model: RawModel; extra: Record<string, unknown> } | { ok: false; issues: ConfigIssue[] }

export function checkRawModel(value: unknown, entry: string): RawCheck {
  const result = rawModelSchema.safeParse(value)
  if (result.success) {
    const extra = Object.fromEntries(
      Object.entries(result.data).filter(([field]) => !(KNOWN_FIELDS as string[]).includes(field)),
    )
    return { ok: true, model: result.data, extra }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const required = KNOWN_FIELDS.filter((field) => field !== 'symLinkedFrom' && field !== 'sha256')
    const message = `expected an object with ${required.join(', ')}, got ${describeValue(value)}`
    return { ok: false, issues: [{ entry, field: '', message }] }
  }
  const failed = new Set(result.error.issues.map((issue) => issue.path[0]))
  const fields = value as Record<string, unknown>
  const issues = KNOWN_FIELDS.filter((field) => failed.has(field)).map((field) => ({
    entry,
    field,
    message:
      fields[field] === undefined
        ? `missing; expected ${EXPECTED[field]}`
        : `expected ${EXPECTED[field]}, got ${describeValue(fields[field])}`,
  }))
  return { ok: false, issues }
}
