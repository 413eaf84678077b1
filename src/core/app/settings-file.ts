import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../fs/atomic-write'

/**
 * `<state dir>/settings.json`: the one settings file of a state folder, read by every `modeldl`
 * command, `modeldl serve` and the desktop app (which keeps only its encrypted keys elsewhere). Flat
 * and hand-editable. Fields this version does not know are kept when the file is rewritten, so an
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
    /** Accepted from older files, not used: the connection budget follows the concurrency. */
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

/** The file cannot be used as it is; the message names the file, the field and the fix. */
export class SettingsFileError extends Error {
  override name = 'SettingsFileError'
}

/** The file's settings; none (`{}`) when there is no file yet. Rejects with SettingsFileError. */
export async function readSettingsFile(path: string): Promise<SettingsFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // No file: defaults. A state folder under a regular file (ENOTDIR) is told when the folder is used.
    if (code === 'ENOENT' || code === 'ENOTDIR') return {}
    throw new SettingsFileError(`Cannot read the settings file ${path}: ${code ?? String(err)}`)
  }
  return parseSettingsText(path, text)
}

export function parseSettingsText(path: string, text: string): SettingsFile {
  let json: unknown
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    const why = (err as Error).message.replace(/\s+/g, ' ')
    throw new SettingsFileError(`The settings file ${path} is not valid JSON (${why}). Fix it or remove it.`)
  }
  const parsed = SettingsFileSchema.safeParse(json)
  if (!parsed.success) {
    const { issues } = parsed.error
    const problems = issues.map((issue) => describeIssue(issue, json)).join('; ')
    const fix = issues.length > 1 ? 'Fix or remove these settings.' : 'Fix or remove that setting.'
    throw new SettingsFileError(`The settings file ${path} is not valid: ${problems}. ${fix}`)
  }
  return parsed.data
}

/** Written whole and renamed into place: an owner watching the folder never reads half a file. */
export async function writeSettingsFile(path: string, file: SettingsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`)
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list (a JSON array)',
  object: 'an object',
}

/** `"concurrency" should be a number, but is "eight"`: the field, what is expected, what is there. */
function describeIssue(issue: z.core.$ZodIssue, json: unknown): string {
  if (issue.path.length === 0) return 'it should be a JSON object of settings'
  const field = issue.path.map(String).join('.')
  let value: unknown = json
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key]
  const found = value === undefined ? '' : `, but is ${JSON.stringify(value)}`
  let expected: string
  if (issue.code === 'invalid_type') expected = `should be ${TYPE_NAMES[issue.expected] ?? issue.expected}`
  else if (issue.code === 'too_big') expected = `should be at most ${String(issue.maximum)}`
  else if (issue.code === 'too_small') expected = `should be at least ${String(issue.minimum)}`
  else if (issue.code === 'invalid_format')
    expected = `should be a ${issue.format === 'url' ? 'URL' : issue.format}`
  else expected = `is not valid (${issue.message})`
  return `"${field}" ${expected}${found}`
}
