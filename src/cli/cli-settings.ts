import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import type { z } from 'zod'
import { SettingsFileSchema, type SettingsFile } from '../core/app/settings-file'
import { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../core/service/download-service'
import { defaultStateDir, statePaths, type StatePaths } from '../core/service/state-paths'
import { DEFAULT_MODEL_EXTENSIONS } from '../shared/settings'
import { DEFAULT_TUNING } from '../shared/transfer'
import { UsageError } from './usage-error'

// One schema for the file, shared with `modeldl serve`'s settings store (which also writes it).
export type { SettingsFile } from '../core/app/settings-file'

export interface CliContext {
  paths: StatePaths
  settings: ServiceSettings
  networkVolume: string | undefined
  defaultBucket: string | undefined
  modelsRoots: string[]
  /** The models root a scanned source maps into; always inside one of modelsRoots. */
  modelsRoot: string
  modelExtensions: readonly string[]
  configFile: string | undefined
  env: Record<string, string | undefined>
}

async function readSettingsFile(path: string): Promise<SettingsFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // No file: defaults. A state folder under a regular file (ENOTDIR) is told when the folder is used.
    if (code === 'ENOENT' || code === 'ENOTDIR') return {}
    throw new UsageError(`Cannot read the settings file ${path}: ${code ?? String(err)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    const why = (err as Error).message.replace(/\s+/g, ' ')
    throw new UsageError(`The settings file ${path} is not valid JSON (${why}). Fix it or remove it.`)
  }
  const parsed = SettingsFileSchema.safeParse(json)
  if (!parsed.success) {
    const { issues } = parsed.error
    const problems = issues.map((issue) => describeIssue(issue, json)).join('; ')
    const fix = issues.length > 1 ? 'Fix or remove these settings.' : 'Fix or remove that setting.'
    throw new UsageError(`The settings file ${path} is not valid: ${problems}. ${fix}`)
  }
  return parsed.data
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

/** Flags win over environment variables, which win over the settings file, which wins over defaults. */
export async function cliContext(
  flags: { config?: string; home?: string; modelsRoot?: string },
  env = process.env,
): Promise<CliContext> {
  const dir = flags.home ? resolve(flags.home) : defaultStateDir(env)
  const paths = statePaths(dir, env)
  const file = await readSettingsFile(paths.settingsFile)
  const networkVolume = env['NETWORK_VOLUME'] || file.networkVolume || undefined
  const rootFlagOrEnv = flags.modelsRoot || env['MODELDL_MODELS_ROOT'] || undefined
  const rootsFromEnv = rootFlagOrEnv ? [rootFlagOrEnv] : undefined
  const modelsRoots = (rootsFromEnv ?? file.modelsRoots ?? [networkVolume ?? join(homedir(), 'models')]).map(
    (r) => resolve(r),
  )
  // Issue 6's rule, as the window's settings have it: the first of the file's modelsRoots is the root.
  const modelsRoot = resolve(
    rootFlagOrEnv ??
      file.modelsRoots?.[0] ??
      (networkVolume ? join(networkVolume, 'ComfyUI', 'models') : join(homedir(), 'models')),
  )
  // Scanned models land under modelsRoot: the safety roots must admit it (and rebuild-from-disk find them).
  if (!modelsRoots.some((r) => modelsRoot === r || modelsRoot.startsWith(r.endsWith(sep) ? r : r + sep))) {
    modelsRoots.push(modelsRoot)
  }
  const endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || file.endpoint
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || file.region
  const profile = env['AWS_PROFILE'] || file.profile
  return {
    paths,
    env,
    networkVolume,
    defaultBucket: env['AWS_BUCKET_NAME'] || file.bucket || undefined,
    modelsRoots,
    modelsRoot,
    modelExtensions: file.modelExtensions ?? DEFAULT_MODEL_EXTENSIONS,
    configFile: flags.config ?? env['MODEL_CONFIG_FILE'] ?? undefined,
    settings: {
      ...DEFAULT_SERVICE_SETTINGS,
      ...(file.concurrency ? { concurrency: file.concurrency } : {}),
      ...(file.maxConnections ? { maxConnections: file.maxConnections } : {}),
      ...(file.compressedSiblings !== undefined ? { compressedSiblings: file.compressedSiblings } : {}),
      // Keys come from the AWS chain in the worker's environment, never from this file.
      s3: {
        ...(endpoint ? { endpoint } : {}),
        ...(region ? { region } : {}),
        ...(profile ? { profile } : {}),
      },
      tuning: {
        ...DEFAULT_TUNING,
        ...(file.bandwidthLimitBps !== undefined ? { bandwidthLimitBps: file.bandwidthLimitBps } : {}),
        ...(file.partSize ? { partSize: file.partSize } : {}),
        ...(file.connectionsPerFile !== undefined ? { connectionsPerFile: file.connectionsPerFile } : {}),
      },
    },
  }
}
