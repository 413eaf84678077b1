// Models grouped by directory group, in the order the config (or the listing) first names each group.
import type { ModelInfo } from '../../../shared/api-contract'

export interface GroupEntry {
  name: string
  ids: readonly string[]
}

export type GroupIndex = readonly GroupEntry[]

export function indexGroups(models: Iterable<ModelInfo>): GroupIndex {
  const byName = new Map<string, string[]>()
  for (const m of models) {
    const ids = byName.get(m.group)
    if (ids) ids.push(m.id)
    else byName.set(m.group, [m.id])
  }
  return [...byName].map(([name, ids]) => ({ name, ids }))
}

/**
 * Adds a page of models to an index without copying the groups the page does not touch, so a listing
 * of tens of thousands of keys streams in without quadratic work per page.
 */
export function appendToGroups(
  index: GroupIndex,
  models: readonly ModelInfo[],
  known: ReadonlySet<string>,
): GroupIndex {
  if (models.length === 0) return index
  const added = new Map<string, string[]>()
  for (const m of models) {
    if (known.has(m.id)) continue
    const ids = added.get(m.group)
    if (ids) ids.push(m.id)
    else added.set(m.group, [m.id])
  }
  if (added.size === 0) return index
  const next = index.map((g) => {
    const more = added.get(g.name)
    if (!more) return g
    added.delete(g.name)
    return { name: g.name, ids: [...g.ids, ...more] }
  })
  for (const [name, ids] of added) next.push({ name, ids })
  return next
}
