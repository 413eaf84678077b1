// Runtime checks for every invoke request, whichever door it came through (IPC or WebSocket). The
// servers validate with these before a handler runs; a failure answers `bad_request` naming the field.
import { z } from 'zod'
import type { InvokeChannel, RequestOf } from './api-contract'
import {
  MAX_CONFIG_BYTES,
  MAX_CONFIG_ENTRIES,
  MAX_FOLDER_CHARS,
  MAX_NAME_CHARS,
  MAX_S3_URI_CHARS,
  MAX_URL_CHARS,
  MAX_WORKFLOW_BASE64_CHARS,
  MAX_WORKFLOW_DOWNLOAD_NAMES,
  MAX_WORKFLOW_FILE_BYTES,
  MAX_WORKFLOW_KEY_CHARS,
} from './limits'
import {
  AbsolutePathSchema,
  EnqueueRequestSchema,
  ModelSelectorSchema,
  MovePositionSchema,
  NameSchema,
  ObjectUriSchema,
} from './service-schemas'
import { SettingsPatchSchema } from './settings'

const none = z.undefined()
const absolutePath = AbsolutePathSchema
const s3Uri = z
  .string()
  .max(MAX_S3_URI_CHARS)
  .regex(/^s3:\/\/[^/]+(\/.*)?$/, 'must be s3://bucket/prefix')

// Any scheme passes here: the service says why a file: or http: URL is refused, in the user's words.
const UrlModelRequestSchema = z.object({
  url: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_URL_CHARS, `must be at most ${MAX_URL_CHARS} characters`),
  folder: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_FOLDER_CHARS, `must be at most ${MAX_FOLDER_CHARS} characters`),
})

const ModelInfoSchema = z.object({
  id: absolutePath,
  entryId: NameSchema,
  group: NameSchema,
  modelName: NameSchema,
  s3Uri: ObjectUriSchema,
  localPath: absolutePath,
  expectedSize: z.number().int().nonnegative(),
  sha256: z.string().max(64).optional(),
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
  'downloads:snapshot': none,
  'downloads:status': none,
  'config:current': none,
  'config:open': z.object({ path: absolutePath }),
  // Core checks the text's size in bytes again (src/core/config); this refuses it before any parsing.
  'config:load': z.object({
    name: z.string().min(1).max(MAX_NAME_CHARS),
    text: z.string().max(MAX_CONFIG_BYTES, `must be at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`),
  }),
  'config:openSample': none,
  'config:recent': none,
  'config:save': z.object({
    path: absolutePath,
    mode: z.enum(['new', 'merge']),
    models: z.array(ModelInfoSchema).max(MAX_CONFIG_ENTRIES),
  }),
  'local:stat': z.object({
    models: z
      .array(z.object({ localPath: absolutePath, expectedSize: z.number().int().nonnegative() }))
      .max(MAX_CONFIG_ENTRIES),
  }),
  'settings:get': none,
  'settings:update': SettingsPatchSchema,
  'settings:testConnection': z.object({ draft: SettingsPatchSchema.optional(), s3Uri: s3Uri.optional() }),
  'scan:start': z.object({ uri: s3Uri, allTypes: z.boolean().optional() }),
  'scan:cancel': z.object({ scanId: z.string().min(1) }),
  // The reader checks the decoded size again (src/core/workflow); this refuses it before decoding.
  'workflow:open': z.object({
    name: z.string().min(1).max(MAX_NAME_CHARS),
    data: z
      .string()
      .max(MAX_WORKFLOW_BASE64_CHARS, `must be at most ${MAX_WORKFLOW_FILE_BYTES / 1024 / 1024} MiB`)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  }),
  'workflow:download': z.object({
    workflowId: z.string().min(1).max(64),
    names: z
      .array(
        z.string().min(1).max(MAX_WORKFLOW_KEY_CHARS, `must be at most ${MAX_WORKFLOW_KEY_CHARS} characters`),
      )
      .max(MAX_WORKFLOW_DOWNLOAD_NAMES, `must be at most ${MAX_WORKFLOW_DOWNLOAD_NAMES} rows`),
  }),
  'url:lookup': UrlModelRequestSchema,
  'url:download': UrlModelRequestSchema,
  'dialog:openConfig': none,
  'dialog:openWorkflow': none,
  'dialog:saveConfigPath': none,
  'shell:reveal': z.object({ id: absolutePath }),
}
