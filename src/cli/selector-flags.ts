import type { ModelSelector } from '../shared/service-contract'
import { UsageError } from './usage-error'

export interface SelectorFlags {
  group?: string | undefined
  model?: string | undefined
  path?: string | undefined
  all?: boolean | undefined
  'all-failed'?: boolean | undefined
}

export const SELECTOR_OPTIONS = {
  group: { type: 'string' },
  model: { type: 'string' },
  path: { type: 'string' },
  all: { type: 'boolean' },
  'all-failed': { type: 'boolean' },
} as const

/** The old API's ways to name a model: group + model name, or its local path; or all of them. */
export function selectorFrom(
  flags: SelectorFlags,
  command: string,
  allowed: Array<'all' | 'all-failed'>,
): ModelSelector {
  const chosen = [
    flags.path !== undefined,
    flags.group !== undefined || flags.model !== undefined,
    !!flags.all,
    !!flags['all-failed'],
  ]
  if (chosen.filter(Boolean).length !== 1) {
    const alts = ['--group G --model M', '--path P', ...allowed.map((a) => `--${a}`)].join(' | ')
    throw new UsageError(`${command} needs exactly one of: ${alts}`)
  }
  if (flags.all) {
    if (!allowed.includes('all')) throw new UsageError(`${command} does not take --all`)
    return { all: true }
  }
  if (flags['all-failed']) {
    if (!allowed.includes('all-failed')) throw new UsageError(`${command} does not take --all-failed`)
    return { allFailed: true }
  }
  if (flags.path !== undefined) return { path: flags.path }
  if (!flags.group || !flags.model) throw new UsageError(`${command}: --group and --model go together`)
  return { group: flags.group, modelName: flags.model }
}
