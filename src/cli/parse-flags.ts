// node:util's parseArgs, with a mistyped flag answered the way a person wants: "unknown option --wiat
// (did you mean --wait?)" instead of Node's advice about positional arguments after `--`.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error'

export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (err) {
    throw unknownOption(err, Object.keys(config.options ?? {})) ?? err
  }
}

/** The UsageError for Node's ERR_PARSE_ARGS_UNKNOWN_OPTION, or null for any other error. */
export function unknownOption(err: unknown, known: readonly string[]): UsageError | null {
  const e = err as { code?: unknown; message?: unknown }
  if (e?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || typeof e.message !== 'string') return null
  const given = /Unknown option '([^']+)'/.exec(e.message)?.[1]
  if (!given) return null
  const guess = closest(given.replace(/^-+/, '').split('=')[0]!, known)
  return new UsageError(
    `unknown option ${given}${guess ? ` (did you mean --${guess}?)` : ''}. Run \`modeldl help\` for every option.`,
  )
}

/** The known name nearest to `typed`, if it is near enough to be a typo: at most 2 edits, or 1 for short names. */
export function closest(typed: string, known: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const name of known) {
    const d = editDistance(typed.toLowerCase(), name)
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  const allowed = typed.length <= 3 ? 1 : 2
  return bestDistance <= allowed ? best : null
}

/** Damerau–Levenshtein distance (optimal string alignment): a swap of two neighbours is one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
