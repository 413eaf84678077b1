import type { AppSettings } from '../../shared/settings'
import { DEFAULT_TUNING, type S3Settings } from '../../shared/transfer'
import { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../service/download-service'
import type { StoredCredentials } from './settings-patch'

type Env = Record<string, string | undefined>

const MiB = 1024 * 1024
/** What an automatic connections-per-file setting costs the connection budget (the service's own rule). */
const AUTO_CONNECTIONS = 4

/** The S3 part of the settings, with the standard AWS variables filling what the settings leave empty. */
export function s3SettingsFrom(
  settings: AppSettings,
  credentials: StoredCredentials | undefined,
  env: Env = process.env,
): S3Settings {
  const { s3 } = settings
  const endpoint = s3.endpoint || env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || ''
  const region = s3.region || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || ''
  const keys = s3.credentials === 'keys' ? credentials : undefined
  return {
    ...(endpoint ? { endpoint, forcePathStyle: s3.forcePathStyle } : {}),
    ...(region ? { region } : {}),
    ...(s3.profile ? { profile: s3.profile } : {}),
    ...(keys ? { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey } : {}),
  }
}

/**
 * What the DownloadService runs with, from what is in effect (settings-loader.ts says how a file, the
 * environment and flags make that). The connection budget grows with the concurrency so that a
 * concurrency the user chose is never silently cut by the default budget. `modelsRoots` defaults to
 * the models root alone; the loader passes every root of the state folder's settings.
 */
export function serviceSettingsFrom(
  settings: AppSettings,
  credentials: StoredCredentials | undefined,
  env: Env = process.env,
  modelsRoots: string[] = [settings.modelsRoot],
): ServiceSettings {
  const perJob = settings.connectionsPerFile > 0 ? settings.connectionsPerFile : AUTO_CONNECTIONS
  return {
    ...DEFAULT_SERVICE_SETTINGS,
    concurrency: settings.concurrency,
    maxConnections: Math.max(DEFAULT_SERVICE_SETTINGS.maxConnections, settings.concurrency * perJob),
    compressedSiblings: settings.compressedSiblings,
    modelsRoots: [...modelsRoots],
    s3: s3SettingsFrom(settings, credentials, env),
    tuning: {
      ...DEFAULT_TUNING,
      partSize: settings.partSizeMiB * MiB,
      connectionsPerFile: settings.connectionsPerFile,
      bandwidthLimitBps: settings.bandwidthLimitBps,
    },
  }
}
