import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { readOwner } from '../../core/service/owner/owner-lock'
import { progressFileContent } from '../../core/service/persist/progress-file'
import { matchSelector } from '../../core/service/selectors'
import {
  ACTIVE_STATUSES,
  type ModelRecord,
  type StatusCounts,
  type ServiceStatus,
  type StateRecovery,
} from '../../shared/service-contract'
import { cliContext, type CliContext } from '../cli-settings'
import { listJson, simpleLine, table } from '../format'
import type { Entrypoints } from '../entrypoints'
import { ownOrConnect, tryConnect } from '../owner-session'
import { SELECTOR_OPTIONS, selectorFrom } from '../selector-flags'
import { orderRecords, readStateSnapshot, reportRecovery } from '../state-snapshot'
import { UsageError } from '../usage-error'
import { parseFlags } from '../parse-flags'
import { statusText } from '../status-text'

export const INFO_HELP = `modeldl progress [--group G --model M | --path P | --all] [--out FILE]
modeldl list     [--format json|table|simple] [--all]
                 active downloads; --all: every record, finished ones too (a completed one says how
                 it was verified: "size only" when nothing but its length could be checked)
modeldl queue    [--json]  |  modeldl queue move --path P (--top|--up|--down|--bottom)
modeldl status   [--json]
These read from the running owner, or from the state folder when none runs.`

/**
 * Records from the owner if one answers, else as the state file last saved them. A damaged file is
 * recovered first, by becoming the owner for a moment (nothing starts): under the lock, as any owner
 * does, and told on stderr.
 */
async function records(
  ctx: CliContext,
  entry: Entrypoints,
): Promise<{ records: ModelRecord[]; live: boolean; recovered?: StateRecovery }> {
  const session = await tryConnect(ctx)
  if (session) {
    try {
      return { records: await session.api.list(), live: true }
    } finally {
      await session.close()
    }
  }
  const read = await readStateSnapshot(ctx.paths)
  if (read.kind === 'ok') return { records: orderRecords(read.snapshot), live: false }
  if (read.kind === 'missing') return { records: [], live: false }
  const recovering = await ownOrConnect(ctx, entry.worker, { halted: true })
  try {
    let recovered = recovering.recovery
    // Another process became the owner meanwhile and recovered the file: its status says how.
    if (!recovering.owner) reportRecovery((recovered = (await recovering.api.status()).recovered))
    return {
      records: await recovering.api.list(),
      live: !recovering.owner,
      ...(recovered ? { recovered } : {}),
    }
  } finally {
    await recovering.close()
  }
}

export async function progressCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: { ...SELECTOR_OPTIONS, out: { type: 'string' }, home: { type: 'string' } },
  })
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  const all = (await records(ctx, entry)).records
  const chosen =
    values.group || values.model || values.path
      ? matchSelector(all, selectorFrom(values, 'progress', []))
      : all
  const json = JSON.stringify(progressFileContent(chosen), null, 2)
  if (values.out) {
    // The old API returned the path of a progress file: --out keeps that shape for scripts.
    const out = resolve(values.out)
    await mkdir(dirname(out), { recursive: true })
    await writeFile(out, json)
    console.log(out)
  } else console.log(json)
  return 0
}

export async function listCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: {
      format: { type: 'string', default: 'table' },
      all: { type: 'boolean' },
      home: { type: 'string' },
    },
  })
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  const all = (await records(ctx, entry)).records
  const shown = values.all ? all : all.filter((r) => ACTIVE_STATUSES.includes(r.status))
  switch (values.format) {
    case 'json':
      console.log(JSON.stringify(shown.map(listJson), null, 2))
      break
    case 'simple':
      if (shown.length === 0) console.log(values.all ? 'No downloads.' : 'No active downloads.')
      for (const r of shown) console.log(simpleLine(r))
      break
    case 'table':
      console.log(shown.length ? table(shown) : values.all ? 'No downloads.' : 'No active downloads.')
      break
    default:
      throw new UsageError(`--format takes json, table or simple, got "${values.format}"`)
  }
  return 0
}

export async function queueCommand(argv: string[], entry: Entrypoints): Promise<number> {
  if (argv[0] === 'move') {
    const { values } = parseFlags({
      args: argv.slice(1),
      options: {
        path: { type: 'string' },
        top: { type: 'boolean' },
        up: { type: 'boolean' },
        down: { type: 'boolean' },
        bottom: { type: 'boolean' },
        home: { type: 'string' },
      },
    })
    const where = (['top', 'up', 'down', 'bottom'] as const).filter((w) => values[w])
    if (!values.path || where.length !== 1)
      throw new UsageError('queue move needs --path P and one of --top, --up, --down, --bottom')
    const ctx = await cliContext(values.home ? { home: values.home } : {})
    const session = await tryConnect(ctx)
    if (!session)
      throw new UsageError('No owner is running: the queue is not moving, so there is nothing to reorder')
    try {
      await session.api.move(resolve(values.path), where[0]!)
    } finally {
      await session.close()
    }
    return 0
  }
  const { values } = parseFlags({
    args: argv,
    options: { json: { type: 'boolean' }, home: { type: 'string' } },
  })
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  const queued = (await records(ctx, entry)).records.filter((r) => ACTIVE_STATUSES.includes(r.status))
  if (values.json) console.log(JSON.stringify(queued.map(listJson), null, 2))
  else if (queued.length === 0) console.log('Queue is empty.')
  else queued.forEach((r, i) => console.log(`${String(i + 1).padStart(3)}. ${simpleLine(r)}`))
  return 0
}

export async function statusCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: { json: { type: 'boolean' }, home: { type: 'string' } },
  })
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  let status: ServiceStatus | Record<string, unknown>
  const session = await tryConnect(ctx)
  if (session) {
    try {
      status = await session.api.status()
    } finally {
      await session.close()
    }
    // The owner recovered a damaged state file when it opened it: a client hears it from its status.
    reportRecovery(status.recovered)
  } else {
    const { records: all, recovered } = await records(ctx, entry)
    const owner = await readOwner(ctx.paths)
    status = {
      stateDir: ctx.paths.dir,
      files: {
        state: ctx.paths.stateFile,
        progress: ctx.paths.progressFile,
        log: ctx.paths.logFile,
        socket: ctx.paths.socketPath,
      },
      owner,
      worker: { running: false, pid: null },
      queueLength: all.filter((r) => ACTIVE_STATUSES.includes(r.status)).length,
      active: 0,
      counts: countsOf(all),
      s3: ctx.settings.s3,
      ...(recovered ? { recovered } : {}),
    }
  }
  if (values.json) {
    console.log(JSON.stringify(status, null, 2))
    return 0
  }
  console.log(statusText(status as ServiceStatus, ctx.defaultBucket))
  return 0
}

/** Records by status, for a status read from the state file (an owner computes its own). */
function countsOf(records: readonly ModelRecord[]): StatusCounts {
  const counts: StatusCounts = { queued: 0, progress: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 }
  for (const r of records) counts[r.status]++
  return counts
}
