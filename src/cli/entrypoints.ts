/** Files a command may start: the worker (forked by the owner) and this CLI (for a background owner). */
export interface Entrypoints {
  worker: string
  cli: string
}
