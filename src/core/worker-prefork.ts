import type { ChildProcess } from 'node:child_process'
import {
  forkLauncher,
  forkWorker,
  workerEnv,
  wrapChild,
  type WorkerLauncher,
  type WorkerProcess,
} from './worker-host'

/** Where a worker forked ahead of time waits for its host (the CLI bundle and the prefork entry are separate modules). */
const KEY = Symbol.for('modeldl.preforkedWorker')

interface Preforked {
  entry: string
  env: Record<string, string>
  child: ChildProcess
  proc: WorkerProcess
}

type Holder = { [KEY]?: Preforked }

/**
 * Forks the transfer worker now, for the WorkerHost that will ask for it: `modeldl get` calls this
 * (bin/modeldl.js, through a small entry) before the CLI bundle loads, so the worker's start and the
 * CLI's overlap on two cores (~0.1 s of every command). Its channel does not keep this process
 * alive; if no host takes it, the worker sees the channel close and exits.
 */
export function preforkWorker(entry: string, env: Record<string, string> = workerEnv()): void {
  const holder = globalThis as Holder
  if (holder[KEY]) return
  const child = forkWorker(entry, env)
  child.unref()
  child.channel?.unref()
  holder[KEY] = { entry, env, child, proc: buffered(wrapChild(child)) }
}

/** Takes a worker forked by preforkWorker for the same entry and environment, else forks one. */
export const preforkedLauncher: WorkerLauncher = (entry, env) => {
  const holder = globalThis as Holder
  const p = holder[KEY]
  delete holder[KEY]
  if (p && p.entry === entry && sameEnv(p.env, env)) {
    p.child.ref()
    p.child.channel?.ref()
    return p.proc
  }
  p?.proc.kill()
  return forkLauncher(entry, env)
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

/** Holds the worker's messages and exit until a host listens (its 'ready' comes before the CLI has loaded). */
function buffered(proc: WorkerProcess): WorkerProcess {
  const messages: unknown[] = []
  let onMessage: ((m: unknown) => void) | null = null
  let exit: [number | null, string | null] | null = null
  let onExit: ((code: number | null, signal: string | null) => void) | null = null
  proc.onMessage((m) => (onMessage ? onMessage(m) : messages.push(m)))
  proc.onExit((code, signal) => (onExit ? onExit(code, signal) : (exit = [code, signal])))
  return {
    pid: proc.pid,
    send: (m) => proc.send(m),
    kill: () => proc.kill(),
    onMessage: (h) => {
      onMessage = h
      for (const m of messages.splice(0)) h(m)
    },
    onExit: (h) => {
      onExit = h
      if (exit) h(...exit)
    },
  }
}
