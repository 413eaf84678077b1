import type { ModelRecord } from '../../shared/service-contract'

/**
 * The order list() promises: the queue (running, queued, paused) in its order, then every other
 * record, most recently updated first. The owner and the read-only CLI commands both use it.
 */
export function inQueueOrder(queue: readonly string[], records: Iterable<ModelRecord>): ModelRecord[] {
  const byId = new Map([...records].map((r) => [r.id, r]))
  const queued = new Set(queue)
  const inQueue = queue.map((id) => byId.get(id)).filter((r): r is ModelRecord => r !== undefined)
  const rest = [...byId.values()]
    .filter((r) => !queued.has(r.id))
    .sort((a, b) => b.lastUpdated.localeCompare(a.lastUpdated))
  return [...inQueue, ...rest]
}
