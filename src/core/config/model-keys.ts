import type { ModelInfo } from '../../shared/api-contract'

/**
 * The key a model would like in its group: its path inside the group without the file extension, the
 * way the old configs name models (`sd_xl_base_1.0` for `sd_xl_base_1.0.safetensors`,
 * `sdxl/detail` for a file in a subfolder). A model that came from a config keeps that config's key.
 */
export function preferredKey(model: ModelInfo): { short: string; full: string } {
  const prefix = `${model.group}/`
  const full = model.entryId.startsWith(prefix) ? model.entryId.slice(prefix.length) : model.modelName
  // A scanned model's entry id ends with its file name; a loaded config's ends with its own key.
  const isFilePath = full === model.modelName || full.endsWith(`/${model.modelName}`)
  if (!isFilePath) return { short: full, full }
  const dot = model.modelName.lastIndexOf('.')
  const short = dot > 0 ? full.slice(0, full.length - (model.modelName.length - dot)) : full
  return { short, full }
}

/**
 * Keys for the models of one group that need a new entry, unique against `taken` and each other, and
 * stable: a model gets the same key whatever else is in the request, unless two models want the same
 * short key (`detail.safetensors` and `detail.ckpt`), in which case both keep their extension.
 */
export function assignKeys(models: ModelInfo[], taken: ReadonlySet<string>): Map<ModelInfo, string> {
  const wanted = new Map<string, number>()
  const preferred = models.map((model) => preferredKey(model))
  for (const { short } of preferred) wanted.set(short, (wanted.get(short) ?? 0) + 1)
  const used = new Set(taken)
  const keys = new Map<ModelInfo, string>()
  models.forEach((model, i) => {
    const { short, full } = preferred[i]!
    let key = wanted.get(short) === 1 && !used.has(short) ? short : full
    for (let n = 2; used.has(key); n++) key = `${full}-${n}`
    used.add(key)
    keys.set(model, key)
  })
  return keys
}
