import { beforeEach, describe, expect, it, vi } from 'vitest'
import { utilityProcessLauncher } from '../../src/main/worker-launcher'
import { fake, resetFakeElectron } from './support/fake-electron'

vi.mock('electron', async () => (await import('./support/fake-electron')).electronModule)

beforeEach(() => resetFakeElectron())

describe('utilityProcessLauncher', () => {
  it('forks the worker entry as a utility process with the environment it is given', () => {
    const launch = utilityProcessLauncher()
    const worker = launch('/app/out/main/chunks/worker.js', { HOME: '/home/me', AWS_REGION: 'eu-west-1' })
    const child = fake.utilityProcesses[0]!
    expect(child.modulePath).toBe('/app/out/main/chunks/worker.js')
    expect(child.args).toEqual([])
    expect(child.options).toMatchObject({
      env: { HOME: '/home/me', AWS_REGION: 'eu-west-1' },
      serviceName: 'Model Downloader transfer worker',
    })
    expect(worker.pid).toBeUndefined() // not spawned yet
    child.pid = 4242
    expect(worker.pid).toBe(4242)
  })

  it('speaks the WorkerProcess interface over the utility process: messages both ways, exit, kill', () => {
    const worker = utilityProcessLauncher()('/w.js', {})
    const child = fake.utilityProcesses[0]!
    worker.send({ type: 'shutdown' })
    expect(child.posted).toEqual([{ type: 'shutdown' }])

    const messages: unknown[] = []
    worker.onMessage((m) => messages.push(m))
    child.emit('message', { type: 'ready' })
    expect(messages).toEqual([{ type: 'ready' }])

    const exits: Array<[number | null, string | null]> = []
    worker.onExit((code, signal) => exits.push([code, signal]))
    child.emit('exit', 134)
    expect(exits).toEqual([[134, null]]) // a utility process reports only a code

    worker.kill()
    expect(child.killed).toBe(true)
  })

  it('reports a fatal error of the process itself', () => {
    const onError = vi.fn()
    utilityProcessLauncher({ onError })('/w.js', {})
    fake.utilityProcesses[0]!.emit('error', 'FatalError', '/src/v8/heap.cc:123')
    expect(onError).toHaveBeenCalledExactlyOnceWith('FatalError at /src/v8/heap.cc:123')
  })
})
