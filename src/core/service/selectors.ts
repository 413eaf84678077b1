import { resolve } from 'node:path'
import type { ModelRecord, ModelSelector } from '../../shared/service-contract'

/** The records a selector names: the old API's (group + model name) or local path, a list, or all. */
export function matchSelector(records: readonly ModelRecord[], selector: ModelSelector): ModelRecord[] {
  if ('all' in selector) return [...records]
  if ('allFailed' in selector) return records.filter((r) => r.status === 'failed')
  if ('ids' in selector) {
    const ids = new Set(selector.ids)
    return records.filter((r) => ids.has(r.id))
  }
  if ('path' in selector) {
    const path = resolve(selector.path)
    return records.filter((r) => r.localPath === path)
  }
  // The old system named models by their file name; config keys without the extension work too.
  const { group, modelName } = selector
  return records.filter(
    (r) =>
      r.group === group && (r.modelName === modelName || r.modelName.replace(/\.[^.]+$/, '') === modelName),
  )
}
