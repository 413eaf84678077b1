// The user's settings, as the window edits them. Every door keeps them in `<state dir>/settings.json`
// (the app keeps only its encrypted keys apart, in electron-store). Secrets are never part of what is
// read back: only whether keys are stored.
import { z } from 'zod'

/** File types the scanner treats as models unless "show every object" is on. */
export const DEFAULT_MODEL_EXTENSIONS = [
  '.safetensors',
  '.ckpt',
  '.pt',
  '.pth',
  '.bin',
  '.gguf',
  '.onnx',
  '.sft',
] as const

export interface S3SourceSettings {
  /** Custom endpoint (MinIO, R2, B2…); '' = AWS. */
  endpoint: string
  /** '' = from the AWS chain (AWS_REGION, profile). */
  region: string
  /** Bucket for paths given without one (the old AWS_BUCKET_NAME). */
  bucket: string
  /** Shared-config profile; '' = default chain. */
  profile: string
  forcePathStyle: boolean
  /** Where credentials come from: the AWS chain (env, profiles, SSO) or keys stored encrypted. */
  credentials: 'chain' | 'keys'
  /** First characters of the stored access key id ('AKIA…'), '' when none: never the key itself. */
  accessKeyHint: string
}

export interface AppSettings {
  s3: S3SourceSettings
  /** The last scanned or typed S3 source prefix (`s3://bucket/models/`), '' when none. */
  sourceUri: string
  /** Models root: every local path must sit inside it. */
  modelsRoot: string
  /** Value for {{NETWORK_VOLUME}} placeholders; '' = from the environment. */
  networkVolume: string
  /** Downloads at once. */
  concurrency: number
  /** Parallel ranged GETs per file; 0 = automatic. */
  connectionsPerFile: number
  /** Bytes per ranged GET, in MiB. */
  partSizeMiB: number
  /** Shared limit in bytes per second; 0 = unlimited. */
  bandwidthLimitBps: number
  notifications: boolean
  /** Fetch an object's `.tar.zst` sibling when the store has one. */
  compressedSiblings: boolean
  /** Extensions the scanner lists as models. */
  modelExtensions: string[]
}

/** What the window gets: the settings plus what this machine can do with secrets. */
export interface SettingsView {
  settings: AppSettings
  /**
   * Keys can be stored only where the OS keychain backs safeStorage; else `reason` says why not.
   * `scope` says who uses stored keys: only the app's own service, never another process that owns
   * the queue (that one uses its AWS credential chain).
   */
  keyStorage: { available: boolean; reason?: string; scope?: string }
  /**
   * Fields in effect from elsewhere than `<state dir>/settings.json`, and from where: `{'s3.profile':
   * 'AWS_PROFILE', modelsRoot: 'a command-line flag'}`. A change to such a field is saved in the file
   * but takes effect only where that variable or flag is not set.
   */
  overriddenBy?: Record<string, string>
}

// z.url() alone takes "minio:9000" as a URL with the scheme "minio:": insist on http(s)://.
const url = z.union([
  z.literal(''),
  z
    .string()
    .url('must be a URL such as http://127.0.0.1:9000')
    .regex(/^https?:\/\/[^/]/i, 'must start with http:// or https://, such as http://127.0.0.1:9000'),
])

export const S3SettingsPatchSchema = z
  .object({
    endpoint: url,
    region: z.string().max(64),
    bucket: z
      .string()
      .regex(
        /^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'must be a bucket name (3-63 lower-case letters, digits, . or -)',
      ),
    profile: z.string().max(128),
    forcePathStyle: z.boolean(),
    credentials: z.enum(['chain', 'keys']),
    /** Write-only: stored encrypted, never read back. */
    accessKeyId: z.string().min(1).max(256),
    secretAccessKey: z.string().min(1).max(1024),
    /** Forget the stored keys. */
    clearKeys: z.literal(true),
  })
  .partial()
  .strict()

export const SettingsPatchSchema = z
  .object({
    s3: S3SettingsPatchSchema,
    sourceUri: z.union([
      z.literal(''),
      z.string().regex(/^s3:\/\/[^/]+(\/.*)?$/, 'must be s3://bucket/prefix/'),
    ]),
    modelsRoot: z
      .string()
      .min(1, 'must not be empty')
      .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path'),
    networkVolume: z.string(),
    concurrency: z.number().int().min(1, 'must be at least 1').max(64, 'must be at most 64'),
    connectionsPerFile: z.number().int().min(0).max(32, 'must be at most 32'),
    partSizeMiB: z.number().int().min(5, 'must be at least 5 MiB').max(5120, 'must be at most 5120 MiB'),
    bandwidthLimitBps: z.number().int().nonnegative(),
    notifications: z.boolean(),
    compressedSiblings: z.boolean(),
    modelExtensions: z
      .array(z.string().regex(/^\.[A-Za-z0-9._-]+$/, 'must look like .safetensors'))
      .min(1)
      .max(64),
  })
  .partial()
  .strict()

export type SettingsPatch = z.infer<typeof SettingsPatchSchema>
