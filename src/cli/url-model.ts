import { basename, resolve } from 'node:path'
import type { ModelEntry } from '../core/config'
import {
  describeUrlModel,
  lookUpUrlModels as lookUp,
  UrlLookupError,
  type UrlLookup,
} from '../core/url/url-lookup'
import type { ResolvedWorkflowModel } from '../shared/workflow'
import type { CliContext } from './cli-settings'
import { UsageError } from './usage-error'

export type { UrlLookup }

/** An argument that names a URL (any scheme: the source refuses what is not https, with a reason). */
export function isUrlArgument(arg: string | undefined): arg is string {
  return arg !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(arg)
}

/**
 * One model from a URL alone, placed in `folder` (default: the current folder): the look-up is core's
 * (src/core/url/url-lookup.ts); what it cannot do is a usage error here, said as core says it.
 */
export async function urlModel(
  url: string,
  folder: string | undefined,
  ctx: CliContext,
): Promise<ModelEntry> {
  const dir = resolve(folder ?? '.')
  try {
    return await describeUrlModel(url, {
      dir,
      group: basename(dir),
      env: ctx.env,
      config: {
        networkVolume: ctx.networkVolume,
        defaultBucket: ctx.defaultBucket,
        modelsRoots: ctx.modelsRoots,
      },
    })
  } catch (err) {
    if (err instanceof UrlLookupError) throw new UsageError(err.message)
    throw err
  }
}

/** Sizes of workflow models that are only at a URL (see core's lookUpUrlModels). */
export function lookUpUrlModels(models: ResolvedWorkflowModel[], ctx: CliContext): Promise<UrlLookup[]> {
  return lookUp(models, ctx.env)
}
