import { MAX_CONFIG_ENTRIES } from '../../shared/limits'
import { mergeDuplicates } from './dedupe'
import { resolveModel, type ModelEntry, type PlacedModel } from './entry'
import { isRecord, locateFlat, locateModels, type ConfigFormat, type LocatedModel } from './formats'
import { ConfigError, describeValue, type ConfigIssue } from './issues'
import { resolveOptions, type ModelConfigOptions } from './options'

const RESOLVE_BATCH = 256

export interface ParsedModelConfig {
  format: ConfigFormat
  entries: ModelEntry[]
}

/** A whole config in either format: every entry resolved and checked, or a ConfigError listing every problem. */
export async function parseModelConfig(
  json: unknown,
  options: ModelConfigOptions,
): Promise<ParsedModelConfig> {
  const located = locateModels(json)
  return { format: located.format, entries: await resolveAll(located.models, located.issues, options) }
}

/** `list` mode: a flat array of models. */
export async function parseModelList(json: unknown, options: ModelConfigOptions): Promise<ModelEntry[]> {
  if (!Array.isArray(json)) {
    throw new ConfigError([
      {
        entry: '',
        field: '',
        message: `expected an array of models (flat format), got ${describeValue(json)}`,
      },
    ])
  }
  return resolveAll(locateFlat(json), [], options)
}

/** `single` mode: one model object in the flat format. */
export async function parseSingleModel(json: unknown, options: ModelConfigOptions): Promise<ModelEntry> {
  if (!isRecord(json)) {
    const hint = Array.isArray(json) ? ' (use list mode for several)' : ''
    throw new ConfigError([
      { entry: '', field: '', message: `expected one model object, got ${describeValue(json)}${hint}` },
    ])
  }
  const [entry] = await resolveAll([{ entry: 'model', value: json }], [], options)
  if (!entry) throw new Error('a resolved single model produced no entry')
  return entry
}

async function resolveAll(
  models: LocatedModel[],
  earlier: ConfigIssue[],
  options: ModelConfigOptions,
): Promise<ModelEntry[]> {
  if (models.length > MAX_CONFIG_ENTRIES) {
    const count = (n: number) => n.toLocaleString('en-US')
    const message = `too many entries: ${count(models.length)}; a model config may have at most ${count(MAX_CONFIG_ENTRIES)}`
    throw new ConfigError([{ entry: '', field: '', message }])
  }
  const resolved = await resolveOptions(options)
  const issues = [...earlier]
  const placed: PlacedModel[] = []
  // A few entries at a time, in order: folder lookups are shared through the cache, so more in flight
  // would only keep 50,000 half-done entries alive at once (most of the load's time went to collecting them).
  for (let start = 0; start < models.length; start += RESOLVE_BATCH) {
    const batch = models.slice(start, start + RESOLVE_BATCH)
    for (const result of await Promise.all(batch.map((model) => resolveModel(model, resolved)))) {
      if (result.ok) placed.push(result.placed)
      else issues.push(...result.issues)
    }
  }
  const merged = mergeDuplicates(placed)
  issues.push(...merged.issues)
  if (issues.length > 0) throw new ConfigError(issues)
  return merged.entries
}
