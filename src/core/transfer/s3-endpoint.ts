import type { AwsCredentialIdentity } from '@smithy/types'
import type { S3Settings } from '../../shared/transfer'

// What the S3 settings and the standard AWS variables decide about where and as whom requests go,
// read the way the SDK reads them, without loading the SDK (see ObjectStore).

type Env = Record<string, string | undefined>

/** The endpoint actually used: the setting, else the standard AWS variables. */
export function resolveEndpoint(settings: S3Settings, env: Env = process.env): string | undefined {
  return settings.endpoint || env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined
}

export function resolveRegion(settings: S3Settings, env: Env = process.env): string {
  // us-east-1 is a safe start: followRegionRedirects moves to the bucket's real region on AWS.
  return settings.region || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1'
}

/** Custom endpoints (MinIO, s3rver, R2 with an IP or port) rarely have wildcard DNS for bucket hosts. */
export function usesPathStyle(settings: S3Settings, env: Env = process.env): boolean {
  return settings.forcePathStyle ?? Boolean(resolveEndpoint(settings, env))
}

/**
 * The keys the SDK's credential chain would pick without asking anything but the settings and the
 * environment: explicit keys, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the chain's first
 * source, which it skips when a profile is named). Null when the chain must decide (profiles, SSO,
 * process, web identity, instance roles): then the SDK signs.
 */
export function staticCredentials(
  settings: S3Settings,
  env: Env = process.env,
): AwsCredentialIdentity | null {
  const explicit = explicitCredentials(settings)
  if (explicit) return explicit
  if (settings.profile || env['AWS_PROFILE']) return null
  const accessKeyId = env['AWS_ACCESS_KEY_ID']
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY']
  if (!accessKeyId || !secretAccessKey) return null
  const sessionToken = env['AWS_SESSION_TOKEN']
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
}

/** The keys typed into the settings (with their session token), when both parts are there. */
export function explicitCredentials(settings: S3Settings): AwsCredentialIdentity | null {
  if (!settings.accessKeyId || !settings.secretAccessKey) return null
  return {
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
  }
}
