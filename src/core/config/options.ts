import { isAbsolute } from 'node:path'
import { ConfigError, describeValue, type ConfigIssue } from './issues'
import { PathCache, resolveRoot, type ModelsRoot } from './path-safety'
import { isBucketName } from './s3-path'

/** What the caller knows from settings and the environment. */
export interface ModelConfigOptions {
  /** Replaces `{{NETWORK_VOLUME}}` in localPath and symLinkedFrom (NETWORK_VOLUME in the environment). */
  networkVolume?: string
  /** The bucket for an originalS3Path given without one (AWS_BUCKET_NAME or the bucket setting). */
  defaultBucket?: string
  /** Folders that every localPath and symLinkedFrom must sit inside. */
  modelsRoots: string[]
}

export interface ResolvedOptions {
  networkVolume: string | undefined
  defaultBucket: string | undefined
  roots: ModelsRoot[]
  /** Folder lookups shared by the entries of one load. */
  paths: PathCache
}

/** Checks the settings once, so a bad setting is one clear issue instead of the same issue on every entry. */
export async function resolveOptions(options: ModelConfigOptions): Promise<ResolvedOptions> {
  const issues: ConfigIssue[] = []
  const problem = (field: string, message: string) => issues.push({ entry: 'settings', field, message })

  // An environment variable that is set but empty means "not set", as it does for the AWS tools.
  const networkVolume = options.networkVolume || undefined
  const defaultBucket = options.defaultBucket || undefined

  if (networkVolume !== undefined && (!isAbsolute(networkVolume) || networkVolume.includes('\0'))) {
    problem(
      'networkVolume',
      `expected an absolute folder path (NETWORK_VOLUME), got ${describeValue(networkVolume)}`,
    )
  }
  if (defaultBucket !== undefined && !isBucketName(defaultBucket)) {
    problem(
      'defaultBucket',
      `not a valid bucket name: ${describeValue(defaultBucket)} (set AWS_BUCKET_NAME or the bucket setting)`,
    )
  }
  if (options.modelsRoots.length === 0) problem('modelsRoots', 'no models folder is configured')

  const roots: ModelsRoot[] = []
  for (const configured of options.modelsRoots) {
    const root = await resolveRoot(configured)
    if (root.ok) roots.push(root.root)
    else problem('modelsRoots', root.message)
  }

  if (issues.length > 0) throw new ConfigError(issues)
  return { networkVolume, defaultBucket, roots, paths: new PathCache() }
}
