// Runtime checks for every invoke request, whichever door it came through (IPC or WebSocket). The
// servers validate with these before a handler runs; a failure answers `bad_request` naming the field.
import { z } from 'zod'
import type { InvokeChannel, RequestOf } from './api-contract'
import { EnqueueRequestSchema, ModelSelectorSchema, MovePositionSchema } from './service-schemas'
import { SettingsPatchSchema } from './settings'

const none = z.undefined()
const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain a NUL byte')
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path')
const s3Uri = z.string().regex(/^s3:\/\/[^/]+(\/.*)?$/, 'must be s3://bucket/prefix')

const ModelInfoSchema = z.object({
  id: absolutePath,
  entryId: z.string().min(1),
  group: z.string().min(1),
  modelName: z.string().min(1),
  s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must be s3://bucket/key'),
  localPath: absolutePath,
  expectedSize: z.number().int().nonnegative(),
  sha256: z.string().optional(),
  symLinkedFrom: absolutePath.optional(),
})

/** One schema per invoke channel; the mapped type makes a missing or mistyped one a compile error. */
export const INVOKE_SCHEMAS: { [C in InvokeChannel]: z.ZodType<RequestOf<C>> } = {
  'app:info': none,
  'downloads:enqueue': EnqueueRequestSchema,
  'downloads:cancel': ModelSelectorSchema,
  'downloads:pause': ModelSelectorSchema,
  'downloads:resume': ModelSelectorSchema,
  'downloads:retry': ModelSelectorSchema,
  'downloads:move': z.object({ id: z.string().min(1), position: MovePositionSchema }),
  'downloads:list': none,
  'downloads:status': none,
  'config:current': none,
  'config:open': z.object({ path: absolutePath }),
  // 64 MiB of JSON is far beyond any real model list; the limit keeps a bad drop from eating memory.
  'config:load': z.object({ name: z.string().min(1).max(255), text: z.string().max(64 * 1024 * 1024) }),
  'config:openSample': none,
  'config:recent': none,
  'config:save': z.object({
    path: absolutePath,
    mode: z.enum(['new', 'merge']),
    models: z.array(ModelInfoSchema).max(100_000),
  }),
  'local:stat': z.object({
    models: z
      .array(z.object({ localPath: absolutePath, expectedSize: z.number().int().nonnegative() }))
      .max(100_000),
  }),
  'settings:get': none,
  'settings:update': SettingsPatchSchema,
  'settings:testConnection': z.object({ draft: SettingsPatchSchema.optional(), s3Uri: s3Uri.optional() }),
  'scan:start': z.object({ uri: s3Uri, allTypes: z.boolean().optional() }),
  'scan:cancel': z.object({ scanId: z.string().min(1) }),
  'dialog:openConfig': none,
  'dialog:saveConfigPath': none,
  'shell:reveal': z.object({ id: absolutePath }),
}
