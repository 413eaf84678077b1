import { ConfigError, describeValue, type ConfigIssue } from './issues'
import { labelName } from './lengths'

export type ConfigFormat = 'nested' | 'flat'

/** One model's raw value, with the name errors will use for it. */
export interface LocatedModel {
  /** `group/key` (nested) or `[index]` (flat). */
  entry: string
  value: unknown
  /** Nested configs name their models by position in the tree; flat ones by their own fields. */
  naming?: { group: string; key: string }
}

export interface LocatedConfig {
  format: ConfigFormat
  models: LocatedModel[]
  issues: ConfigIssue[]
}

/** Tells the two formats apart (an array is flat, an object is nested) and lists their models. */
export function locateModels(json: unknown): LocatedConfig {
  if (Array.isArray(json)) return { format: 'flat', models: locateFlat(json), issues: [] }
  if (isRecord(json)) return { format: 'nested', ...locateNested(json) }
  throw new ConfigError([
    {
      entry: '',
      field: '',
      message: `expected an object of groups (nested format) or an array of models (flat format), got ${describeValue(json)}`,
    },
  ])
}

export function locateFlat(json: unknown[]): LocatedModel[] {
  return json.map((value, index) => ({ entry: `[${index}]`, value }))
}

function locateNested(json: Record<string, unknown>): Pick<LocatedConfig, 'models' | 'issues'> {
  // A single flat model handed over as a whole config would otherwise be reported field by field as
  // "groups" that are not objects.
  if (ownString(json, 'originalS3Path') || ownString(json, 'localPath')) {
    const message = 'this is one model, not a config: wrap it in [ ] for the flat format, or use single mode'
    return { models: [], issues: [{ entry: '', field: '', message }] }
  }
  const models: LocatedModel[] = []
  const issues: ConfigIssue[] = []
  for (const [group, members] of Object.entries(json)) {
    if (!isRecord(members)) {
      const message = `expected an object of models keyed by name, got ${describeValue(members)}`
      issues.push({ entry: labelName(group), field: '', message })
      continue
    }
    for (const [key, value] of Object.entries(members)) {
      models.push({ entry: `${labelName(group)}/${labelName(key)}`, value, naming: { group, key } })
    }
  }
  return { models, issues }
}

function ownString(record: Record<string, unknown>, field: string): boolean {
  return Object.hasOwn(record, field) && typeof record[field] === 'string'
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
