import { readFile } from 'node:fs/promises'
import { inQueueOrder } from '../core/service/queue-order'
import type { ModelRecord } from '../shared/service-contract'

/**
 * The records as the state file has them, for read-only commands when no owner is running. Reads
 * only: recovering a damaged file is the next owner's job, so this never moves or rewrites anything.
 */
export async function readStateSnapshot(
  stateFile: string,
): Promise<{ queue: string[]; records: ModelRecord[] } | null> {
  let text: string
  try {
    text = await readFile(stateFile, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = JSON.parse(text) as { queue?: unknown; records?: unknown }
    if (!Array.isArray(parsed.queue) || !Array.isArray(parsed.records)) throw new Error('unexpected shape')
    return { queue: parsed.queue as string[], records: parsed.records as ModelRecord[] }
  } catch (err) {
    throw new Error(
      `The state file ${stateFile} is damaged (${(err as Error).message}); the next owner recovers it`,
    )
  }
}

/** Queue order first, then the rest: the same order the service's list() gives. */
export function orderRecords(snapshot: { queue: string[]; records: ModelRecord[] }): ModelRecord[] {
  return inQueueOrder(snapshot.queue, snapshot.records)
}
