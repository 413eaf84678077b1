/** One problem with a model config, precise enough to fix without reading the code. */
export interface ConfigIssue {
  /** `group/key` (nested format), `[index]` (flat format), `model` (single mode), `settings`, or '' for the whole config. */
  entry: string
  /** The entry's field, or '' when the problem is the entry (or the file) as a whole. */
  field: string
  message: string
}

/**
 * A rejected model config. Every problem found is listed, so one run shows everything to fix; nothing of a
 * rejected config is ever returned.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly issues: ConfigIssue[],
    /** The file the config came from, when there is one. */
    readonly source?: string,
  ) {
    super(formatConfigError(issues, source))
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return [issue.entry, issue.field, issue.message].filter((part) => part !== '').join(': ')
}

function formatConfigError(issues: ConfigIssue[], source: string | undefined): string {
  const subject = source === undefined ? 'Model config' : `Model config ${source}`
  const [only] = issues
  if (only && issues.length === 1) return `${subject}: ${formatIssue(only)}`
  return [
    `${subject} has ${issues.length} problems:`,
    ...issues.map((issue) => `  ${formatIssue(issue)}`),
  ].join('\n')
}

/** How a received value reads in a message: strings quoted (and shortened), other values by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return typeof value
}
