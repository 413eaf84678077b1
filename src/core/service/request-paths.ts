// Every path of an enqueue request through the gate before anything is queued: one refused entry, and
// nothing of the request is queued.
import pLimit from 'p-limit'
import type { EnqueueEntry } from '../../shared/service-contract'
import { PathCache } from '../config/path-safety'
import { GateError, type PathGate } from '../gate/path-gate'
import { ServiceError } from './owner/service-error'

/** Paths checked at once: enough to hide a network volume's latency, few enough not to flood it. */
const PATH_CHECKS_IN_FLIGHT = 32
/** Refused entries named in one error; the count says how many more. */
const REFUSALS_NAMED = 5

export async function checkRequestPaths(gate: PathGate, entries: readonly EnqueueEntry[]): Promise<void> {
  const refusals: string[] = []
  const limit = pLimit(PATH_CHECKS_IN_FLIGHT)
  // Each folder's real path is found once per request, not once per entry.
  const cache = new PathCache()
  const check = (path: string | undefined, field: string): Promise<void> | undefined =>
    path === undefined
      ? undefined
      : limit(async () => {
          try {
            await gate.modelPath(path, field, cache)
          } catch (err) {
            if (!(err instanceof GateError)) throw err
            refusals.push(err.message)
          }
        })
  await Promise.all(
    entries.flatMap((e, i) => [
      check(e.localPath, `entries.${i}.localPath`),
      check(e.symLinkedFrom, `entries.${i}.symLinkedFrom`),
    ]),
  )
  if (refusals.length === 0) return
  refusals.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const more = refusals.length - REFUSALS_NAMED
  throw new ServiceError(
    'forbidden',
    `Nothing was queued: ${refusals.slice(0, REFUSALS_NAMED).join('; ')}` +
      (more > 0 ? `; and ${more} more outside the models roots` : ''),
  )
}
