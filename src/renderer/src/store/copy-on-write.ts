/** A Map copied on its first write only, so an update that changes nothing keeps the old identity. */
export function copyOnWrite<K, V>(base: ReadonlyMap<K, V>) {
  let copy: Map<K, V> | null = null
  return {
    set(key: K, value: V) {
      ;(copy ??= new Map(base)).set(key, value)
    },
    delete(key: K) {
      ;(copy ??= new Map(base)).delete(key)
    },
    get result(): ReadonlyMap<K, V> {
      return copy ?? base
    },
  }
}
