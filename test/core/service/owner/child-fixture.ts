import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url))

/** Runs a TypeScript fixture of this folder in its own Node process (through tsx), with IPC. */
export function forkFixture(name: string, args: string[]): ChildProcess {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
  // execArgv set explicitly: the parent's may carry the test runner's own loader flags.
  return fork(script, args, {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

/** The child's next IPC message, or a rejection if it exits first or takes longer than timeoutMs. */
export function nextMessage<T>(child: ChildProcess, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: unknown): void => {
      done()
      resolve(message as T)
    }
    const onExit = (code: number | null, signal: string | null): void => {
      done()
      reject(new Error(`fixture exited before answering (code ${code}, signal ${signal})`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`fixture did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
