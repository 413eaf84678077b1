import { resolve } from 'node:path'
import { SettingsFileError } from '../core/app/settings-file'
import { loadSettings, serviceSettingsOf } from '../core/app/settings-loader'
import type { ServiceSettings } from '../core/service/download-service'
import { defaultStateDir, statePaths, type StatePaths } from '../core/service/state-paths'
import type { SettingsPatch } from '../shared/settings'
import { UsageError } from './usage-error'

// One schema for the file, shared with `modeldl serve` and the desktop app (which also write it).
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
  /** The S3 source the settings name (the last one scanned), if any. */
  sourceUri: string | undefined
  configFile: string | undefined
  env: Record<string, string | undefined>
  /** This command's flags that win over the file: an owner started here re-reads the file with them. */
  settingsOverrides?: SettingsPatch
}

/**
 * The state folder's settings through the one loader (settings-loader.ts): flags win over
 * environment variables, which win over the settings file, which wins over defaults. `settings` is
 * what the service runs with, derived exactly as `modeldl serve` and the app derive it.
 */
export async function cliContext(
  flags: { config?: string; home?: string; modelsRoot?: string },
  env = process.env,
): Promise<CliContext> {
  const dir = flags.home ? resolve(flags.home) : defaultStateDir(env)
  const paths = statePaths(dir, env)
  const overrides: SettingsPatch | undefined = flags.modelsRoot
    ? { modelsRoot: resolve(flags.modelsRoot) }
    : undefined
  let loaded
  try {
    loaded = await loadSettings({ path: paths.settingsFile, env, ...(overrides ? { overrides } : {}) })
  } catch (err) {
    if (err instanceof SettingsFileError) throw new UsageError(err.message)
    throw err
  }
  const { settings } = loaded
  return {
    paths,
    env,
    networkVolume: settings.networkVolume || undefined,
    defaultBucket: settings.s3.bucket || undefined,
    modelsRoots: loaded.modelsRoots,
    modelsRoot: settings.modelsRoot,
    modelExtensions: settings.modelExtensions,
    sourceUri: settings.sourceUri || undefined,
    configFile: flags.config ?? env['MODEL_CONFIG_FILE'] ?? undefined,
    // Keys come from the AWS chain in the worker's environment, never from the file.
    settings: serviceSettingsOf(loaded, undefined, env),
    ...(overrides ? { settingsOverrides: overrides } : {}),
  }
}
