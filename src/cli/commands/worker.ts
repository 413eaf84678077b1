import { cliContext } from '../cli-settings'
import type { Entrypoints } from '../entrypoints'
import { becomeOwner } from '../../core/service/owner/owner-runtime'
import { connectOrStartDaemon, tryConnect } from '../owner-session'
import { UsageError } from '../usage-error'
import { parseFlags } from '../parse-flags'

export const WORKER_HELP = `modeldl worker start          start a background owner that works through the queue
modeldl worker stop [--force]  stop it: running downloads pause (--force: everything is cancelled)`

/** How long a background owner with nothing to do stays before it exits. */
const IDLE_EXIT_MS = 3_000

export async function workerCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const [sub, ...rest] = argv
  const { values } = parseFlags({
    args: rest,
    options: { force: { type: 'boolean' }, home: { type: 'string' } },
  })
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  switch (sub) {
    case 'start': {
      const session = await connectOrStartDaemon(ctx, entry.cli)
      try {
        await session.api.startWorker()
        const s = await session.api.status()
        console.error(`Worker running: owner ${s.owner?.kind} pid ${s.owner?.pid}, ${s.queueLength} queued`)
        console.log(ctx.paths.progressFile)
      } finally {
        await session.close()
      }
      return 0
    }
    case 'stop': {
      const session = await tryConnect(ctx)
      if (!session) {
        console.error('No worker is running.')
        return 0
      }
      try {
        await session.api.stopWorker({ force: !!values.force })
      } finally {
        await session.close()
      }
      console.error(
        values.force
          ? 'Stopped; every download was cancelled.'
          : 'Stopped; running downloads paused and stay queued.',
      )
      return 0
    }
    case 'run':
      return runDaemon(ctx, entry)
    default:
      throw new UsageError('worker takes start or stop')
  }
}

/** The background owner: serves the queue until it is empty (or the worker is stopped), then exits. */
async function runDaemon(ctx: Awaited<ReturnType<typeof cliContext>>, entry: Entrypoints): Promise<number> {
  const owner = await becomeOwner(ctx, 'daemon', entry.worker)
  if (!owner) return 0
  const stop = (): void => void owner.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  let idleSince = Date.now()
  for (;;) {
    await new Promise((r) => setTimeout(r, 500))
    if (!owner.service.idle) idleSince = Date.now()
    else if (owner.service.isHalted || Date.now() - idleSince >= IDLE_EXIT_MS) break
  }
  await owner.close()
  return 0
}
