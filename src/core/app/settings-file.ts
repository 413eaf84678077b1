import { z } from 'zod'

/**
 * `<state dir>/settings.json`: what the CLI (every command, and `modeldl serve`'s Settings screen) keeps.
 * Flat and hand-editable. Fields this version does not know are kept when the file is rewritten, so an
 * older and a newer `modeldl` can share a state folder.
 */
export const SettingsFileSchema = z
  .object({
    endpoint: z.string().url().optional(),
    region: z.string().optional(),
    profile: z.string().optional(),
    bucket: z.string().optional(),
    forcePathStyle: z.boolean().optional(),
    /** The last scanned S3 source prefix. */
    sourceUri: z.string().optional(),
    networkVolume: z.string().optional(),
    /** The first is the models root the window shows and edits. */
    modelsRoots: z.array(z.string()).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    maxConnections: z.number().int().min(1).max(256).optional(),
    bandwidthLimitBps: z.number().int().nonnegative().optional(),
    /** Bytes (the window edits it in MiB). */
    partSize: z
      .number()
      .int()
      .min(1024 * 1024)
      .optional(),
    connectionsPerFile: z.number().int().min(0).max(32).optional(),
    compressedSiblings: z.boolean().optional(),
    notifications: z.boolean().optional(),
    modelExtensions: z.array(z.string()).min(1).optional(),
  })
  .passthrough()

export type SettingsFile = z.infer<typeof SettingsFileSchema>
