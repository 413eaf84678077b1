import { setMaxListeners } from 'node:events'
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import type { ConnectionPolicy } from './connection-policy'
import { PartQueue, partLeft } from './part-queue'
import type { LivePart } from './range-fetcher'

export interface PartsPlan {
  /** What is missing of the object, in order. */
  gaps: ReadonlyArray<readonly [number, number]>
  policy: ConnectionPolicy
  /** The transfer's own signal (pause, cancel). */
  signal: AbortSignal
  /** A GET of the whole object already answered: it serves the first part (gaps must be [0, size)). */
  opened?: GetObjectCommandOutput
  /** Fetches one part into the file (fetchRange); `signal` ends every connection of the file. */
  fetchPart(part: LivePart, signal: AbortSignal, response?: GetObjectCommandOutput): Promise<void>
  /** Runs once, before a second connection writes (the file gets its size first). */
  beforeParallel(): Promise<void>
}

/**
 * Fetches the gaps of one object over as many connections as the policy allows, as it allows them:
 * each connection takes the next part from the queue, or, once it is empty, splits the part with the
 * most left (a connection added mid-file, or the tail shared out). The first failure stops the
 * sibling connections at once and is thrown.
 */
export async function fetchParts(plan: PartsPlan): Promise<void> {
  const { policy } = plan
  const queue = new PartQueue(plan.gaps)
  const live = new Set<LivePart>()
  const fetching = new AbortController()
  // Every connection's attempt listens to it (and removes its listeners when done): with a dozen
  // connections Node's leak warning (more than 10) would be printed for nothing.
  setMaxListeners(0, fetching.signal)
  const relayStop = (): void => fetching.abort(plan.signal.reason)
  plan.signal.addEventListener('abort', relayStop, { once: true })
  let active = 0
  let firstError: unknown = null
  let presized: Promise<void> | null = null
  let finished: () => void = () => undefined

  const left = (): number => queue.remaining + [...live].reduce((n, p) => n + partLeft(p), 0)
  const next = (connections: number): LivePart | null => {
    const fromQueue = queue.take(policy.partSize(left(), connections))
    if (fromQueue) return fromQueue
    let largest: LivePart | null = null
    for (const p of live) if (!largest || partLeft(p) > partLeft(largest)) largest = p
    const keep = Math.min(policy.partSize(left(), connections + 1), Math.ceil(partLeft(largest ?? ZERO) / 2))
    return largest && queue.split(largest, keep, policy.minPartSize) ? queue.take(keep) : null
  }

  const run = async (first: LivePart, response?: GetObjectCommandOutput): Promise<void> => {
    active++
    policy.opened()
    try {
      if (active > 1 || presized) await (presized ??= plan.beforeParallel())
      let part: LivePart | null = first
      let answer = response
      while (part && !fetching.signal.aborted) {
        live.add(part)
        try {
          await plan.fetchPart(part, fetching.signal, answer)
        } finally {
          live.delete(part)
        }
        answer = undefined
        if (!policy.mayKeep(active)) break
        part = next(active - 1)
        fill()
      }
    } catch (err) {
      if (firstError === null) {
        firstError = err
        fetching.abort('failed')
      }
    } finally {
      active--
      policy.closed()
      if (active === 0) finished()
    }
  }

  const fill = (): void => {
    while (!fetching.signal.aborted && policy.mayAdd(active)) {
      const part = next(active)
      if (!part) return
      void run(part)
    }
  }

  const stopListening = policy.onRaise(fill)
  try {
    await new Promise<void>((resolve) => {
      finished = resolve
      const whole = plan.opened ? queue.take(Infinity) : null
      if (whole) void run(whole, plan.opened)
      fill()
      if (active === 0) resolve()
    })
  } finally {
    stopListening()
    plan.signal.removeEventListener('abort', relayStop)
  }
  if (firstError !== null) throw firstError
}

const ZERO: LivePart = { start: 0, end: 0, received: 0 }
